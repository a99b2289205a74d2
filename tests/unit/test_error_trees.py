"""One error tree per library package, drawn in its ``errors.py`` docstring (style habit 4).

Every exception class of ``keys``, ``verifier`` and ``issuer`` is defined in the package's
``errors.py``; the drawing there shows each class under its real parent with its ``code`` (and,
for the verifier, its report ``check``); the verifier's and issuer's ``__all__`` list the public
ones.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass, field
from types import ModuleType

import pytest

PACKAGES = ["keys", "verifier", "issuer"]
_NODE = re.compile(r"^ {4}(?P<prefix>(?:[│ ] {3})*)(?:[├└]── )?(?P<name>_?[A-Z]\w*)(?P<rest>.*)$")


@dataclass
class Node:
    name: str
    parent: str | None
    text: str
    children: list[str] = field(default_factory=list)


def drawing(module: ModuleType) -> dict[str, Node]:
    """The classes drawn in ``module``'s docstring: name -> parent and the text of its line(s)."""
    nodes: dict[str, Node] = {}
    stack: list[str] = []
    current: Node | None = None
    for line in (module.__doc__ or "").splitlines():
        match = _NODE.match(line)
        branch = "── " in line
        if match and (branch or line[4] not in " │"):
            depth = len(match["prefix"]) // 4 + 1 if branch else 0
            del stack[depth:]
            current = Node(match["name"], stack[-1] if stack else None, match["rest"])
            nodes[current.name] = current
            stack.append(current.name)
        elif current is not None and line.startswith("    ") and line.strip(" │"):
            current.text += " " + line.strip(" │")
        else:
            current = None if not line.startswith("    ") else current
    return nodes


def own_classes(module: ModuleType) -> dict[str, type[BaseException]]:
    return {
        name: obj
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == module.__name__
    }


def modules(package: str) -> list[ModuleType]:
    root = importlib.import_module(package)
    found = [root]
    for info in pkgutil.walk_packages(root.__path__, f"{package}."):
        found.append(importlib.import_module(info.name))
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_every_error_class_is_defined_in_errors_py(package: str) -> None:
    errors = f"{package}.errors"
    strays = [
        f"{module.__name__}.{name}"
        for module in modules(package)
        if module.__name__ != errors
        for name in own_classes(module)
    ]
    assert strays == [], f"define these in {errors} and draw them in its docstring"


@pytest.mark.parametrize("package", PACKAGES)
def test_the_docstring_draws_every_class_under_its_parent_with_its_code(package: str) -> None:
    errors = importlib.import_module(f"{package}.errors")
    drawn = drawing(errors)
    for name, cls in own_classes(errors).items():
        assert name in drawn, f"{name} is not drawn in {errors.__name__}'s docstring"
        node = drawn[name]
        base = cls.__bases__[0].__name__
        if node.parent is not None or base != "Exception":  # a root is drawn without a parent
            assert node.parent == base, f"{name} is drawn under {node.parent}, not under {base}"
        code = getattr(cls, "code", None)
        if code is not None:
            codes = re.findall(r"[a-z0-9_]+", node.text.partition("code:")[2])
            assert code in codes, f"{name}: its code {code!r} is not drawn ({node.text.strip()!r})"
        check = re.search(r"check: (\w+)", node.text)
        if check is not None:
            assert getattr(cls, "check", None) == check[1], f"{name}: check is not {check[1]}"


@pytest.mark.parametrize("package", ["verifier", "issuer"])
def test_all_lists_the_public_error_classes(package: str) -> None:
    errors = importlib.import_module(f"{package}.errors")
    public = {name for name in own_classes(errors) if not name.startswith("_")}
    assert set(errors.__all__) == public


def test_every_verification_error_draws_a_check_where_it_changes() -> None:
    from verifier import errors

    drawn = drawing(errors)
    for name, cls in own_classes(errors).items():
        if not issubclass(cls, errors.VerificationError) or cls is errors.VerificationError:
            continue
        parent_check = getattr(cls.__bases__[0], "check", None)
        if cls.check != parent_check or cls.__bases__[0] is errors.VerificationError:
            assert f"check: {cls.check}" in drawn[name].text, f"{name} does not draw its check"
