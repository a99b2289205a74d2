"""Really signed inputs for the verify-path fuzz properties (:mod:`tests.fuzz.test_verify_path`).

A :class:`Forge` builds one input from a drawn plan: badges with endorsements embedded at the
credential, issuer, achievement and achievement-creator levels (nested, up to and past the
verifier's nesting limit), as Data Integrity objects or ``endorsementJwt`` strings; CLRs (VC 2.0
and VC 1.1 forms, and as a VC-JWT) holding badges as objects, enveloped VC-JWTs and bare JWS
strings; presentations (Data Integrity, signed or not, and VP-JWTs) holding badges and CLRs;
baked PNG and SVG carriers. Every signature is made with fresh did:key keys.

One signed node of the tree may be *mutated* after it was signed and before it is embedded
(values replaced, keys dropped or added, lists and single values swapped): the forge records
whether the mutation changed what the node's signature covers, and whether the verifier is
meant to check that node at all (endorsements nested past the limit are not), so a property can
say what the verdict must be.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from hypothesis import strategies as st

from issuer import sign_data_integrity, sign_vc_jwt
from issuer.baking import bake_clr_png, bake_clr_svg, bake_png, bake_svg
from issuer.clr import enveloped_credential
from keys import SigningKey, did_key_from_public_key
from verifier.canonical import Canonicalizer
from verifier.dataintegrity import hash_data, proof_config
from verifier.errors import VerificationError
from verifier.schemas import MAX_ENDORSEMENT_DEPTH

from .strategies import b64, json_values, mutated, reshaped

ASSETS = Path(__file__).resolve().parents[1] / "assets"
VC1 = "https://www.w3.org/2018/credentials/v1"
VC2 = "https://www.w3.org/ns/credentials/v2"
OB301 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json"
OB303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
CLR201 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
DI_V1 = "https://w3id.org/security/data-integrity/v1"
#: Endorsements the verifier follows below a credential (verifier.verify._MAX_NESTING).
CHECKED_LEVELS = 3
#: Endorsement objects the model reads nested in one JSON document
#: (verifier.schemas.MAX_ENDORSEMENT_DEPTH); one deeper is a ``too_deep`` schema failure.
MODEL_DEPTH = MAX_ENDORSEMENT_DEPTH

Where = Literal["credential", "issuer", "achievement", "creator"]
Deviation = Literal["issuer_image", "achievement_image", "achievement_type", "subject_without_id"]
Form = Literal["di", "jwt"]
DEVIATIONS: tuple[Deviation, ...] = (
    "issuer_image",
    "achievement_image",
    "achievement_type",
    "subject_without_id",
)


def _asset(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((ASSETS / name).read_text())
    return value


_BADGE = _asset("ob3/validator-simple.json")
_BADGE.pop("proof")
_BADGE_VC11 = _asset("ob3/validator-simple-eddsa-2022-vc11.json")
_BADGE_VC11.pop("proof")
_ENDORSEMENT = _asset("ob3/spec-endorsement.di.json")
for _name in ("proof", "credentialStatus", "refreshService", "credentialSchema"):
    _ENDORSEMENT.pop(_name)
_CLR = _asset("clr2/validator-clr-simple.json")
_CLR.pop("proof")
_PNG = (ASSETS / "baked" / "validator-simple-jwt.png").read_bytes()
_SVG = (ASSETS / "baked" / "validator-simple-jwt.svg").read_text()


@dataclass(frozen=True, slots=True)
class Keys:
    """Fresh keys for one test session: issuers (Ed25519 for Data Integrity, Ed25519 and P-256
    for VC-JWTs) and a holder (Ed25519), each known only by its did:key."""

    ed: tuple[SigningKey, ...]
    jwt: tuple[SigningKey, ...]
    holder: SigningKey


def did_of(key: SigningKey) -> str:
    return did_key_from_public_key(key.public)


def method_of(key: SigningKey) -> str:
    did = did_of(key)
    return f"{did}#{did.removeprefix('did:key:')}"


# -- plans ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EndorsementPlan:
    form: Form
    where: Where
    children: tuple[EndorsementPlan, ...] = ()
    #: The endorser's logo as a URL string (a benign deviation, noted, never a failure).
    issuer_image: bool = False


@dataclass(frozen=True, slots=True)
class BadgePlan:
    form: Form
    endorsements: tuple[EndorsementPlan, ...] = ()
    deviations: frozenset[Deviation] = frozenset()


@st.composite
def endorsement_plans(draw: st.DrawFn, *, on_badge: bool, level: int = 1) -> EndorsementPlan:
    """One endorsement and, below it, more (a chain may run past the nesting limit)."""
    places: list[Where] = ["credential", "issuer"]
    if on_badge:
        places += ["achievement", "creator"]
    deeper = level <= CHECKED_LEVELS + 1 and draw(st.integers(0, 3)) == 0
    children = (
        tuple(
            draw(
                st.lists(endorsement_plans(on_badge=False, level=level + 1), min_size=1, max_size=2)
            )
        )
        if deeper
        else ()
    )
    return EndorsementPlan(
        draw(st.sampled_from(["di", "jwt"])),
        draw(st.sampled_from(places)),
        children,
        draw(st.booleans()),
    )


@st.composite
def deep_chain(draw: st.DrawFn) -> EndorsementPlan:
    """A straight chain of endorsements 1 … 5 deep (the verifier stops after 3)."""
    depth = draw(st.integers(1, CHECKED_LEVELS + 2))
    plan: EndorsementPlan | None = None
    for _ in range(depth):
        plan = EndorsementPlan(
            draw(st.sampled_from(["di", "jwt"])),
            draw(st.sampled_from(["credential", "issuer"])),
            () if plan is None else (plan,),
        )
    assert plan is not None
    return EndorsementPlan(
        plan.form,
        draw(st.sampled_from(["credential", "issuer", "achievement", "creator"])),
        plan.children,
    )


def badge_plans(*, forms: tuple[Form, ...] = ("di", "jwt")) -> st.SearchStrategy[BadgePlan]:
    return st.builds(
        BadgePlan,
        st.sampled_from(forms),
        st.lists(endorsement_plans(on_badge=True) | deep_chain(), max_size=2).map(tuple),
        st.frozensets(st.sampled_from(DEVIATIONS)),
    )


# -- what a mutation did ----------------------------------------------------------------------


@dataclass(slots=True)
class Mutation:
    """The one mutated node: what it was, whether that changed what its signature covers, and
    whether the verifier checks the node (an endorsement past the nesting limit is not)."""

    node: str
    effective: bool
    checked: bool


@dataclass(slots=True)
class Forge:
    """Builds one signed input; draws the mutation of the ``target``-th signed node, if any."""

    keys: Keys
    data: st.DataObject
    now: datetime
    canonicalizer: Canonicalizer
    target: int | None = None
    counter: int = 0
    mutation: Mutation | None = None
    #: The mutated object and the signed original it replaced (to graft proofs, see _sign_di).
    swapped: tuple[Any, Any] | None = None
    nodes: list[str] = field(default_factory=list)
    #: A document the verifier loads holds endorsement objects nested past the model's bound.
    too_deep: bool = False

    # -- signing ------------------------------------------------------------------------------
    def _key(self, pool: tuple[SigningKey, ...]) -> SigningKey:
        return pool[self.data.draw(st.integers(0, len(pool) - 1), label="key")]

    def _sign_di(
        self,
        document: dict[str, Any],
        key: SigningKey,
        *,
        purpose: str = "assertionMethod",
        **options: Any,
    ) -> dict[str, Any]:
        def sign(doc: Mapping[str, Any]) -> dict[str, Any]:
            return sign_data_integrity(
                doc,
                key,
                verification_method=method_of(key),
                created=self.now - timedelta(days=1),
                canonicalizer=self.canonicalizer,
                proof_purpose=purpose,
                **options,
            )

        try:
            return sign(document)
        except VerificationError:
            # A mutated node below is no longer valid JSON-LD (a term no context defines, a
            # broken @context …): sign what it replaced and keep the mutated node (this
            # signature then does not hold either).
            if self.swapped is None:
                raise
            original = _replace(document, *self.swapped)
            return {**document, "proof": sign(original)["proof"]}

    def _sign_jwt(self, document: dict[str, Any], key: SigningKey) -> str:
        return sign_vc_jwt(document, key, kid=method_of(key))

    def _issuer(self, key: SigningKey, name: str) -> dict[str, Any]:
        return {"id": did_of(key), "type": ["Profile"], "name": name}

    # -- mutation -------------------------------------------------------------------------------
    def _visit(self, node: str, value: Any, *, level: int, signed: bool = True) -> Any:
        """Count a node; mutate it if it is the target. A mutated unsigned node (a container
        nobody signed) decides nothing: only its members' own signatures do."""
        index = self.counter
        self.counter += 1
        self.nodes.append(node)
        if index != self.target:
            return value
        checked = signed and level <= CHECKED_LEVELS
        if isinstance(value, str):
            changed = self.data.draw(mutated_token(value), label=f"mutated {node}")
            self.mutation = Mutation(node, changed != value, checked)
            return changed
        changed = self.data.draw(mutated_document(value), label=f"mutated {node}")
        effective = not signed or not self._proof_holds(value, changed)
        self.mutation = Mutation(node, effective, checked)
        self.swapped = (changed, value)
        return changed

    def _proof_holds(self, original: Mapping[str, Any], changed: Any) -> bool:
        """Whether ``original``'s proof is still in ``changed`` and still covers it: a mutation
        that leaves the signed data as it was (RDF-equal) is no change."""
        if not isinstance(changed, Mapping):
            return False
        proofs = changed.get("proof")
        items = proofs if isinstance(proofs, list) else [proofs]
        (proof,) = original["proof"]
        if proof not in items or "@context" not in changed:
            return False
        before = {k: v for k, v in original.items() if k != "proof"}
        after = {k: v for k, v in changed.items() if k != "proof"}
        try:
            return hash_data(self.canonicalizer, after, proof_config(after, proof)) == hash_data(
                self.canonicalizer, before, proof_config(before, proof)
            )
        except (VerificationError, ValueError, TypeError, KeyError):
            return False

    # -- endorsements ---------------------------------------------------------------------------
    def endorsement(
        self, plan: EndorsementPlan, *, about: str, level: int, nested: int, root: int
    ) -> dict[str, Any] | str:
        """An endorsement ``level`` below the credential being verified; ``nested`` endorsement
        objects deep in the JSON document that starts at ``root`` (a level: the badge, or an
        endorsement given as a JWT). It endorses ``about``: the issuer of the document it sits
        in, which is about that document wherever in it it sits (the verifier checks that)."""
        key = self._key(self.keys.ed if plan.form == "di" else self.keys.jwt)
        document = copy.deepcopy(_ENDORSEMENT)
        document["id"] = f"urn:uuid:00000000-0000-4000-8000-{self.counter:012d}"
        document["credentialSubject"]["id"] = about
        document["issuer"] = self._issuer(key, f"Endorser {level}")
        document["validUntil"] = _stamp(self.now + timedelta(days=365))
        if plan.issuer_image:
            document["issuer"]["image"] = "https://endorser.example/logo.png"
        if plan.form == "jwt":
            nested, root = 0, level  # a document of its own
        elif nested > MODEL_DEPTH and root <= CHECKED_LEVELS:
            self.too_deep = True
        for child in plan.children:
            value = self.endorsement(
                child,
                about=document["issuer"]["id"],
                level=level + 1,
                nested=nested + 1,
                root=root,
            )
            self._embed(document, child, value)
        if plan.form == "di":
            return self._visit("endorsement (DI)", self._sign_di(document, key), level=level)
        return self._visit("endorsementJwt", self._sign_jwt(document, key), level=level)

    @staticmethod
    def _embed(
        document: dict[str, Any], plan: EndorsementPlan, value: dict[str, Any] | str
    ) -> None:
        holder: dict[str, Any] = document
        if plan.where == "issuer":
            holder = document["issuer"]
        elif plan.where in ("achievement", "creator"):
            holder = document["credentialSubject"]["achievement"]
            if plan.where == "creator":
                holder = holder.setdefault(
                    "creator",
                    {
                        "id": "https://creator.example/profile",
                        "type": ["Profile"],
                        "name": "Creator",
                    },
                )
        name = "endorsement" if isinstance(value, dict) else "endorsementJwt"
        holder.setdefault(name, []).append(value)

    # -- badges -----------------------------------------------------------------------------
    def badge_document(self, plan: BadgePlan, key: SigningKey, *, level: int) -> dict[str, Any]:
        document = copy.deepcopy(_BADGE)
        document["id"] = f"urn:uuid:11111111-0000-4000-8000-{self.counter:012d}"
        # Issued to the holder, as our badges are once a learner registers a DID: a signed
        # presentation of them then binds (containers.holder_binding).
        document["credentialSubject"]["id"] = did_of(self.keys.holder)
        document["issuer"] = self._issuer(key, "Badge issuer")
        for endorsement in plan.endorsements:
            value = self.endorsement(
                endorsement, about=document["issuer"]["id"], level=level + 1, nested=1, root=level
            )
            self._embed(document, endorsement, value)
        achievement = document["credentialSubject"]["achievement"]
        if "issuer_image" in plan.deviations:
            document["issuer"]["image"] = "https://issuer.example/logo.png"
        if "achievement_image" in plan.deviations:
            achievement["image"] = "https://issuer.example/badge.png"
        if "achievement_type" in plan.deviations:
            achievement["achievementType"] = "Program"
        if "subject_without_id" in plan.deviations:
            document["credentialSubject"].pop("id")
        return document

    def badge(self, plan: BadgePlan) -> dict[str, Any] | str:
        """A badge on its own (level 0): a signed JSON object or a VC-JWT."""
        key = self._key(self.keys.ed if plan.form == "di" else self.keys.jwt)
        document = self.badge_document(plan, key, level=0)
        if plan.form == "di":
            return self._visit("badge (DI)", self._sign_di(document, key), level=0)
        return self._visit("badge (VC-JWT)", self._sign_jwt(document, key), level=0)

    def badge_vc11(self) -> dict[str, Any]:
        """A VC 1.1 badge (OB 3.0.1 context), signed eddsa-rdfc-2022."""
        key = self._key(self.keys.ed)
        document = copy.deepcopy(_BADGE_VC11)
        document["id"] = f"urn:uuid:22222222-0000-4000-8000-{self.counter:012d}"
        document["credentialSubject"]["id"] = did_of(self.keys.holder)
        document["issuer"] = self._issuer(key, "VC 1.1 issuer")
        return self._visit("badge (VC 1.1)", self._sign_di(document, key), level=0)

    # -- CLRs ---------------------------------------------------------------------------------
    def clr(
        self, members: list[Any], *, form: Literal["vc2", "vc11", "jwt"]
    ) -> dict[str, Any] | str:
        key = self._key(self.keys.jwt if form == "jwt" else self.keys.ed)
        document = copy.deepcopy(_CLR)
        document["id"] = f"urn:uuid:33333333-0000-4000-8000-{self.counter:012d}"
        document["issuer"] = self._issuer(key, "CLR issuer")
        document["credentialSubject"]["verifiableCredential"] = members
        document["credentialSubject"]["id"] = did_of(self.keys.holder)
        if form == "vc11":
            document["@context"] = [VC1, CLR201, OB301, EXTENSIONS, DI_V1]
            document["issuanceDate"] = document.pop("validFrom")
        if form == "jwt":
            return self._visit("CLR (VC-JWT)", self._sign_jwt(document, key), level=0)
        return self._visit(f"CLR ({form})", self._sign_di(document, key), level=0)

    # -- presentations ----------------------------------------------------------------------
    def presentation(
        self,
        members: list[Any],
        *,
        signed: bool,
        challenge: str | None,
        domain: str | None,
    ) -> dict[str, Any]:
        holder = did_of(self.keys.holder)
        document: dict[str, Any] = {
            "@context": [VC2],
            "id": f"urn:uuid:44444444-0000-4000-8000-{self.counter:012d}",
            "type": ["VerifiablePresentation"],
            "holder": holder,
            "verifiableCredential": members,
        }
        if not signed:
            return self._visit("presentation (unsigned)", document, level=0, signed=False)  # type: ignore[no-any-return]
        options = {"challenge": challenge, "domain": domain}
        signed_vp = self._sign_di(document, self.keys.holder, purpose="authentication", **options)
        return self._visit("presentation (DI)", signed_vp, level=0)  # type: ignore[no-any-return]

    def export(self, members: list[Any]) -> dict[str, Any]:
        """A passport export (``passport.exports``): a plain, unsigned list of credentials."""
        return self._visit("export", {"credentials": members}, level=0, signed=False)  # type: ignore[no-any-return]

    def presentation_jwt(
        self,
        members: list[Any],
        *,
        style: Literal["vc11", "jose"],
        challenge: str | None,
        domain: str | None,
    ) -> str:
        holder = did_of(self.keys.holder)
        header = {"alg": "EdDSA", "kid": method_of(self.keys.holder)}
        if style == "vc11":
            header["typ"] = "JWT"
            payload: dict[str, Any] = {
                "iss": holder,
                "jti": f"urn:uuid:55555555-0000-4000-8000-{self.counter:012d}",
                "iat": int((self.now - timedelta(minutes=1)).timestamp()),
                "exp": int((self.now + timedelta(minutes=10)).timestamp()),
                "vp": {
                    "@context": [VC1],
                    "type": ["VerifiablePresentation"],
                    "verifiableCredential": members,
                },
            }
            if challenge is not None:
                payload["nonce"] = challenge
            if domain is not None:
                payload["aud"] = domain
        else:
            header["typ"] = "vp+jwt"
            payload = {
                "@context": [VC2],
                "type": ["VerifiablePresentation"],
                "holder": holder,
                "verifiableCredential": members,
            }
            if challenge is not None:
                payload["nonce"] = challenge
        signing_input = f"{_b64json(header)}.{_b64json(payload)}"
        token = f"{signing_input}.{b64(self.keys.holder.sign(signing_input.encode()))}"
        return self._visit("presentation (VP-JWT)", token, level=0)  # type: ignore[no-any-return]


# -- mutations ------------------------------------------------------------------------------


@st.composite
def mutated_document(draw: st.DrawFn, document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` with values replaced (by any JSON value, or by another value of the same
    document), keys dropped or added, and lists and single values swapped."""
    own = _values(document)
    values = json_values | st.sampled_from(own).map(copy.deepcopy)
    kind = draw(st.sampled_from(["mutated", "reshaped", "both"]), label="mutation")
    changed: dict[str, Any] = copy.deepcopy(dict(document))
    if kind in ("mutated", "both"):
        changed = draw(mutated(changed, values))
    if kind in ("reshaped", "both"):
        changed = draw(reshaped(changed))
    return changed


@st.composite
def mutated_token(draw: st.DrawFn, token: str) -> str:
    """A compact JWS whose header or payload was changed (and re-encoded) or whose signature
    was damaged; the signature is never remade."""
    head, payload, signature = token.split(".")
    part = draw(st.sampled_from(["payload", "payload", "header", "signature"]))
    if part == "signature":
        raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
        raw[draw(st.integers(0, len(raw) - 1))] ^= 1 << draw(st.integers(0, 7))
        return f"{head}.{payload}.{b64(bytes(raw))}"
    index = 1 if part == "payload" else 0
    parts = [head, payload]
    decoded = json.loads(base64.urlsafe_b64decode(parts[index] + "=" * (-len(parts[index]) % 4)))
    parts[index] = _b64json(draw(mutated_document(decoded)))
    return f"{parts[0]}.{parts[1]}.{signature}"


# -- carriers -------------------------------------------------------------------------------


def baked(value: dict[str, Any] | str, *, carrier: Literal["png", "svg"], clr: bool) -> bytes:
    """``value`` (a signed credential) baked into a PNG or SVG."""
    text = value if isinstance(value, str) else json.dumps(value)
    if carrier == "png":
        return (bake_clr_png if clr else bake_png)(_PNG, text)
    bake = bake_clr_svg if clr else bake_svg
    return bake(_SVG, text, jwt=isinstance(value, str)).encode("utf-8")


def member(value: dict[str, Any] | str, *, shape: Literal["as_is", "enveloped"]) -> Any:
    """How a container lists a credential: a VC-JWT as the string or an enveloped object."""
    if isinstance(value, str) and shape == "enveloped":
        return enveloped_credential(value)
    return value


# -- helpers ----------------------------------------------------------------------------------


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def _values(document: Any) -> list[Any]:
    """Every value inside ``document`` (to put one where another was)."""
    found: list[Any] = []
    items = document.items() if isinstance(document, Mapping) else enumerate(document)
    for _, child in items:
        found.append(child)
        if isinstance(child, (Mapping, list)):
            found.extend(_values(child))
    return found or [None]


def _replace(node: Any, old: Any, new: Any) -> Any:
    """A copy of ``node`` with the object ``old`` (by identity) put back as ``new``."""
    if node is old:
        return new
    if isinstance(node, dict):
        return {k: _replace(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace(v, old, new) for v in node]
    return node


Builder = Callable[[Forge], Any]
