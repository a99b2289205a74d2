"""SCIM 2.0 provisioning under /scim/v2: each operation, the mapping onto accounts, group roles,
filters, ETags and every refusal as a SCIM Error body, on a real database.

Requests look like the ones identity providers send: Entra ID's capitalised PATCH ops, string
booleans and ``members[value eq "…"]`` removals, Okta's whole-resource PUT.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from passport.accounts.models import ApiToken, ScimGroupMember, User
from passport.accounts.tokens import create_token, token_actor
from passport.accounts.users import erase_user
from passport.audit import AuditEvent
from passport.services import Services
from passport.settings import Settings
from passport.web import create_app
from passport.web.context import get_services
from tests.functional.test_admin import HTML, PASSWORD, csrf, make_user

ROLE_GROUPS = {
    "sp-admins": "admin",
    "sp-assessors": "assessor",
    "sp-mentors": "mentor",
    "sp-hiring": "hiring_manager",
}
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON = "application/scim+json"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(role_groups=ROLE_GROUPS)


class Scim:
    """A SCIM client over the app's test client, with the integration's bearer token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": SCIM_JSON}

    def get(self, path: str, **headers: str) -> Any:
        return self.client.get("/scim/v2" + path, headers={**self.headers, **headers})

    def send(self, method: str, path: str, body: object, **headers: str) -> Any:
        return self.client.open(
            "/scim/v2" + path,
            method=method,
            data=json.dumps(body),
            headers={**self.headers, **headers},
        )

    def create_user(self, user_name: str, **attributes: object) -> dict[str, Any]:
        body = {"schemas": [USER], "userName": user_name, **attributes}
        response = self.send("POST", "/Users", body)
        assert response.status_code == 201, response.get_json()
        created: dict[str, Any] = response.get_json()
        return created

    def patch(self, path: str, *operations: dict[str, Any], **headers: str) -> Any:
        return self.send(
            "PATCH", path, {"schemas": [PATCH], "Operations": list(operations)}, **headers
        )


@pytest.fixture
def scim_token(services: Services) -> str:
    """A token with the one scope an identity provider needs."""
    with services.session() as session:
        return create_token(session, "identity-provider", scopes=["scim"], actor="test")


def _scim_actor(db: Any) -> str:
    """How the audit log names the identity provider's token (``token:<id>``)."""
    token = db.scalar(select(ApiToken).where(ApiToken.name == "identity-provider"))
    assert token is not None
    return token_actor(token)


@pytest.fixture
def scim(client: FlaskClient, scim_token: str) -> Scim:
    return Scim(client, scim_token)


def test_a_token_without_the_scim_scope_is_forbidden(client: FlaskClient, api_token: str) -> None:
    """The integration token (issue, status, assessments, read, verify) cannot provision."""
    response = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {api_token}"})
    body = _error(response, 403)
    assert "scim" in body["detail"]
    created = client.post(
        "/scim/v2/Users",
        json={"schemas": [USER], "userName": "x@example.org"},
        headers={"Authorization": f"Bearer {api_token}"},
    )
    _error(created, 403)


def _error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """Assert a SCIM Error answer (RFC 7644 §3.12) and return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == SCIM_JSON
    body: dict[str, Any] = response.get_json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]
    return body


def _account(services: Services, **where: object) -> User:
    with services.sessions() as db:
        user = db.scalar(select(User).filter_by(**where))
        assert user is not None, where
        db.expunge(user)
        return user


def _alice(scim: Scim, **overrides: object) -> dict[str, Any]:
    attributes: dict[str, object] = {
        "externalId": "entra-0001",
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "displayName": "Alice Smith",
        "emails": [
            {"value": "alice.home@example.org", "type": "home"},
            {"value": "Alice@Corp.example", "type": "work", "primary": True},
        ],
        "active": True,
    }
    attributes.update(overrides)
    return scim.create_user("alice@corp.example", **attributes)


# -- discovery -------------------------------------------------------------------------------


def test_service_provider_config_is_public_and_says_what_is_supported(
    client: FlaskClient,
) -> None:
    response = client.get("/scim/v2/ServiceProviderConfig")
    assert response.status_code == 200 and response.mimetype == SCIM_JSON
    config = response.get_json()
    assert config["patch"] == {"supported": True}
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["etag"] == {"supported": True}
    assert config["sort"] == {"supported": True}
    assert config["bulk"]["supported"] is False
    assert config["changePassword"] == {"supported": False}
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_schemas_and_resource_types_describe_what_round_trips(scim: Scim) -> None:
    schemas = scim.get("/Schemas").get_json()
    assert {s["id"] for s in schemas["Resources"]} == {USER, GROUP}
    user = scim.get(f"/Schemas/{USER}").get_json()
    assert user["name"] == "User"
    names = [a["name"] for a in user["attributes"]]
    assert names == ["userName", "name", "displayName", "emails", "active", "groups"]
    assert user["attributes"][0]["uniqueness"] == "server"
    _error(scim.get("/Schemas/urn:example:nope"), 404)

    types = scim.get("/ResourceTypes").get_json()
    assert {(t["name"], t["endpoint"]) for t in types["Resources"]} == {
        ("User", "/Users"),
        ("Group", "/Groups"),
    }
    assert scim.get("/ResourceTypes/Group").get_json()["schema"] == GROUP
    _error(scim.get("/ResourceTypes/Pet"), 404)
    # RFC 7644 §4: discovery endpoints refuse filters
    _error(scim.get('/Schemas?filter=id eq "x"'), 403)


def test_unknown_paths_and_methods_get_scim_errors(scim: Scim) -> None:
    _error(scim.get("/Pets"), 404)
    _error(scim.get("/Users/a/b"), 404)
    refused = scim.send("DELETE", "/ServiceProviderConfig", {})
    _error(refused, 405)
    assert refused.headers["Allow"] == "GET"
    _error(scim.send("POST", "/Bulk", {}), 501)


# -- authentication --------------------------------------------------------------------------


def test_requests_without_a_valid_token_are_refused(
    client: FlaskClient, services: Services, scim_token: str
) -> None:
    for headers in ({}, {"Authorization": "Bearer sp_not-a-token"}, {"Authorization": "Basic x"}):
        response = client.get("/scim/v2/Users", headers=headers)
        _error(response, 401)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="SCIM"'
    assert client.get("/scim/v2/Schemas").status_code == 401
    # nothing is created without a token
    created = client.post("/scim/v2/Users", json={"schemas": [USER], "userName": "x@example.org"})
    _error(created, 401)

    with services.session() as db:
        token = db.scalar(select(ApiToken).where(ApiToken.name == "identity-provider"))
        assert token is not None
        token.revoked_at = services.now()
    _error(client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {scim_token}"}), 401)


def test_scim_needs_no_csrf_token_and_ignores_cookies(
    app: Flask, scim: Scim, services: Services
) -> None:
    """A logged-in browser session is no SCIM credential: only the bearer token counts."""
    browser = app.test_client()
    make_user(services, "root@example.com", "admin")
    browser.post(
        "/login",
        data={"email": "root@example.com", "password": PASSWORD, "csrf_token": csrf(browser)},
    )
    _error(browser.get("/scim/v2/Users"), 401)
    # and the token works without any CSRF token, and no cookie is set
    created = scim.send("POST", "/Users", {"schemas": [USER], "userName": "bob@corp.example"})
    assert created.status_code == 201 and "Set-Cookie" not in created.headers


# -- users -----------------------------------------------------------------------------------


def test_creating_a_user_makes_an_account(scim: Scim, services: Services) -> None:
    response = scim.send(
        "POST",
        "/Users",
        {
            "schemas": [USER],
            "userName": "alice@corp.example",
            "externalId": "entra-0001",
            "name": {"givenName": "Alice", "familyName": "Smith"},
            "displayName": "Alice Smith",
            "emails": [
                {"value": "alice.home@example.org", "type": "home"},
                {"value": "Alice@Corp.example", "type": "work", "primary": True},
            ],
            "active": True,
            "nickName": "Al",  # not kept: not in our schema
        },
    )
    assert response.status_code == 201 and response.mimetype == SCIM_JSON
    body = response.get_json()
    location = f"http://127.0.0.1:5000/scim/v2/Users/{body['id']}"
    assert response.headers["Location"] == location == body["meta"]["location"]
    assert response.headers["ETag"] == body["meta"]["version"]
    assert body["userName"] == "alice@corp.example"
    assert body["emails"][1] == {"value": "alice@corp.example", "type": "work", "primary": True}
    assert body["active"] is True and "nickName" not in body
    assert body["meta"]["resourceType"] == "User"

    account = _account(services, scim_id=body["id"])
    assert (account.email, account.name, account.role) == (
        "alice@corp.example",
        "Alice Smith",
        "learner",
    )
    assert account.password_hash is None and account.scim_external_id == "entra-0001"
    assert account.holder_id is not None  # a learner, with their holder record
    with services.sessions() as db:
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
        assert event is not None and event.actor == _scim_actor(db)

    assert scim.get(f"/Users/{body['id']}").get_json() == body


def test_entra_ids_default_mapping_is_accepted(scim: Scim, services: Services) -> None:
    """What we do not keep (title, phones, addresses, the enterprise extension) is dropped,
    not refused: a refusal would stop a default Entra ID set-up from provisioning anyone."""
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    response = scim.send(
        "POST",
        "/Users",
        {
            "schemas": [USER, enterprise],
            "externalId": "ada",
            "userName": "ada@corp.example",
            "active": True,
            "displayName": "Ada Lovelace",
            "title": "Analyst",
            "preferredLanguage": "en-GB",
            "emails": [{"primary": True, "type": "work", "value": "ada@corp.example"}],
            "phoneNumbers": [{"type": "mobile", "value": "+44 20 7946 0000"}],
            "addresses": [{"type": "work", "country": "GB", "primary": True}],
            "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
            enterprise: {"department": "Maths", "employeeNumber": "1815"},
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["schemas"] == [USER]
    assert not {"title", "phoneNumbers", "addresses", enterprise} & set(body)
    account = _account(services, scim_id=body["id"])
    assert (account.email, account.name) == ("ada@corp.example", "Ada Lovelace")
    assert "Maths" not in (account.scim_profile or "") and "7946" not in (
        account.scim_profile or ""
    )


def test_a_user_name_that_is_an_address_is_enough(scim: Scim, services: Services) -> None:
    body = scim.create_user("Bob@Corp.example", name={"formatted": "Bob Jones"})
    assert body["emails"] == [{"value": "bob@corp.example", "primary": True}]
    assert body["userName"] == "Bob@Corp.example"  # kept as sent
    account = _account(services, scim_id=body["id"])
    assert (account.email, account.name) == ("bob@corp.example", "Bob Jones")


@pytest.mark.parametrize(
    ("body", "status", "scim_type"),
    [
        ({"schemas": [USER], "emails": [{"value": "a@corp.example"}]}, 400, "invalidValue"),
        ({"schemas": [USER], "userName": "no-address"}, 400, "invalidValue"),
        (
            {"schemas": [USER], "userName": "c", "emails": [{"value": "not an address"}]},
            400,
            "invalidValue",
        ),
        ({"schemas": [USER], "userName": "c@corp.example", "active": "maybe"}, 400, "invalidValue"),
        ({"schemas": [USER], "userName": ["c@corp.example"]}, 400, "invalidValue"),
        ([1, 2], 400, "invalidSyntax"),
    ],
)
def test_unusable_users_are_refused(scim: Scim, body: object, status: int, scim_type: str) -> None:
    _error(scim.send("POST", "/Users", body), status, scim_type)


def test_broken_bodies_are_refused(scim: Scim) -> None:
    broken = scim.client.post("/scim/v2/Users", data=b"{not json", headers=scim.headers)
    assert broken.status_code == 400 and broken.get_json()["schemas"] == [ERROR]
    wrong_type = scim.client.post(
        "/scim/v2/Users",
        data=b"userName=x",
        headers={**scim.headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    _error(wrong_type, 415)


def test_user_names_and_addresses_are_unique(scim: Scim, services: Services) -> None:
    _alice(scim)
    # the same userName in another case, or the same address under another userName
    taken = scim.send(
        "POST",
        "/Users",
        {
            "schemas": [USER],
            "userName": "ALICE@corp.example",
            "emails": [{"value": "x@corp.example"}],
        },
    )
    _error(taken, 409, "uniqueness")
    _error(
        scim.send(
            "POST",
            "/Users",
            {"schemas": [USER], "userName": "al", "emails": [{"value": "alice@CORP.example"}]},
        ),
        409,
        "uniqueness",
    )
    # an account made on the admin pages stands under its e-mail as userName
    make_user(services, "local@corp.example", "mentor")
    _error(
        scim.send("POST", "/Users", {"schemas": [USER], "userName": "Local@corp.example"}),
        409,
        "uniqueness",
    )


def test_unknown_users_are_404(scim: Scim) -> None:
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        body = {"schemas": [PATCH], "Operations": [{"op": "remove", "path": "displayName"}]}
        if method == "PUT":
            body = {"schemas": [USER], "userName": "x@corp.example"}
        _error(scim.send(method, "/Users/0123456789abcdef", body), 404)


def test_accounts_made_elsewhere_are_found_by_their_address_and_adopted(
    scim: Scim, services: Services
) -> None:
    """An identity provider matching people on their e-mail finds existing accounts (Entra ID
    and Okta look up ``userName eq …`` before they create)."""
    make_user(services, "mo@corp.example", "mentor", name="Mo")
    found = scim.get('/Users?filter=userName eq "MO@corp.example"').get_json()
    assert found["totalResults"] == 1
    mo = found["Resources"][0]
    assert mo["userName"] == "mo@corp.example" and mo["displayName"] == "Mo"
    assert mo["emails"] == [{"value": "mo@corp.example", "primary": True}] and mo["active"] is True

    adopted = scim.patch(
        f"/Users/{mo['id']}",
        {"op": "add", "path": "externalId", "value": "okta-42"},
        {"op": "replace", "path": "name", "value": {"givenName": "Mo", "familyName": "Ali"}},
    )
    assert adopted.status_code == 200, adopted.get_json()
    account = _account(services, email="mo@corp.example")
    assert account.scim_external_id == "okta-42" and account.role == "mentor"
    with services.sessions() as db:
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "scim.user.update"))
        assert event is not None and event.actor == _scim_actor(db)
        assert json.loads(event.detail or "{}")["externalId"] == [None, "okta-42"]
    assert account.name == "Mo"  # displayName (the account's name) stays


def test_put_replaces_a_user(scim: Scim, services: Services) -> None:
    alice = _alice(scim)
    replaced = scim.send(
        "PUT",
        f"/Users/{alice['id']}",
        {
            "schemas": [USER],
            "userName": "asmith@corp.example",
            "name": {"formatted": "Alice Smith-Jones"},
            "emails": [{"value": "asmith@corp.example", "type": "work"}],
            "active": False,
        },
    )
    assert replaced.status_code == 200, replaced.get_json()
    body = replaced.get_json()
    assert "displayName" not in body and "externalId" not in body
    assert body["active"] is False and body["name"] == {"formatted": "Alice Smith-Jones"}
    account = _account(services, scim_id=alice["id"])
    assert (account.email, account.name, account.scim_user_name) == (
        "asmith@corp.example",
        "Alice Smith-Jones",
        "asmith@corp.example",
    )
    assert account.deactivated_at is not None
    assert body["meta"]["lastModified"] >= alice["meta"]["lastModified"]
    assert body["meta"]["version"] != alice["meta"]["version"]

    # Okta puts back what it read, read-only attributes and meta included
    scim.send(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Ops", "members": [{"value": alice["id"]}]},
    )
    read = scim.get(f"/Users/{alice['id']}").get_json()
    assert read["groups"][0]["display"] == "Ops"
    read["displayName"] = "Alice S."
    back = scim.send("PUT", f"/Users/{alice['id']}", read)
    assert back.status_code == 200, back.get_json()
    assert back.get_json()["groups"] == read["groups"]
    assert _account(services, scim_id=alice["id"]).name == "Alice S."
    # an empty emails list counts as none: the userName, an address, stands for it
    read.pop("emails")
    read["emails"] = []
    assert scim.send("PUT", f"/Users/{alice['id']}", read).status_code == 200


def test_patch_as_entra_id_sends_it(scim: Scim, services: Services) -> None:
    alice = _alice(scim)
    path = f"/Users/{alice['id']}"
    done = scim.patch(
        path,
        {
            "op": "Replace",
            "path": 'emails[type eq "work"].value',
            "value": "alice.smith@corp.example",
        },
        {"op": "Replace", "path": "name.familyName", "value": "Smythe"},
        {"op": "Add", "value": {"displayName": "Alice Smythe", "externalId": "entra-0002"}},
    )
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["name"] == {"givenName": "Alice", "familyName": "Smythe"}
    account = _account(services, scim_id=alice["id"])
    assert (account.email, account.name, account.scim_external_id) == (
        "alice.smith@corp.example",
        "Alice Smythe",
        "entra-0002",
    )
    # a string boolean, as Entra ID sends it
    off = scim.patch(path, {"op": "Replace", "path": "active", "value": "False"})
    assert off.status_code == 200 and off.get_json()["active"] is False
    assert _account(services, scim_id=alice["id"]).deactivated_at is not None
    on = scim.patch(path, {"op": "replace", "value": {"active": True}})
    assert on.get_json()["active"] is True
    assert _account(services, scim_id=alice["id"]).deactivated_at is None

    # an attribute we do not keep is dropped, as in a creation
    ignored = scim.patch(path, {"op": "replace", "path": "nickName", "value": "x"})
    assert ignored.status_code == 200 and "nickName" not in ignored.get_json()
    for bad in (
        {"op": "jump", "path": "active", "value": True},
        {"op": "replace", "path": "groups", "value": []},
    ):
        response = scim.patch(path, bad)
        assert response.status_code == 400, bad
        assert response.get_json()["schemas"] == [ERROR]
    _error(
        scim.patch(path, {"op": "replace", "path": "emails", "value": [{"value": "nope"}]}),
        400,
        "invalidValue",
    )


def test_removing_active_leaves_the_account_as_it_is(scim: Scim, services: Services) -> None:
    alice = _alice(scim, active=False)
    removed = scim.patch(f"/Users/{alice['id']}", {"op": "remove", "path": "active"})
    assert removed.status_code == 200 and "active" not in removed.get_json()
    assert _account(services, scim_id=alice["id"]).deactivated_at is not None


def test_deactivating_over_scim_ends_a_live_session_at_once(
    app: Flask, scim: Scim, services: Services
) -> None:
    make_user(services, "mo@corp.example", "mentor")
    browser = app.test_client()
    logged_in = browser.post(
        "/login",
        data={"email": "mo@corp.example", "password": PASSWORD, "csrf_token": csrf(browser)},
    )
    assert logged_in.status_code == 302
    assert browser.get("/admin/", headers=HTML).status_code == 200

    mo = scim.get('/Users?filter=userName eq "mo@corp.example"').get_json()["Resources"][0]
    assert (
        scim.patch(
            f"/Users/{mo['id']}", {"op": "replace", "path": "active", "value": False}
        ).status_code
        == 200
    )

    # the very next request of the open session is refused
    again = browser.get("/admin/", headers=HTML)
    assert again.status_code == 302 and again.headers["Location"].startswith("/login")
    refused = browser.post(
        "/login",
        data={"email": "mo@corp.example", "password": PASSWORD, "csrf_token": csrf(browser)},
    )
    assert refused.status_code == 401
    with services.sessions() as db:
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.deactivate"))
        assert event is not None and event.actor == _scim_actor(db)


def test_etags_guard_concurrent_changes(scim: Scim) -> None:
    alice = _alice(scim)
    path, version = f"/Users/{alice['id']}", alice["meta"]["version"]
    same = scim.get(path, **{"If-None-Match": version})
    assert same.status_code == 304 and same.headers["ETag"] == version
    changed = scim.patch(
        path, {"op": "replace", "path": "displayName", "value": "A. S."}, **{"If-Match": version}
    )
    assert changed.status_code == 200
    # a second writer still holding the old version is refused
    _error(
        scim.patch(
            path, {"op": "replace", "path": "displayName", "value": "Al"}, **{"If-Match": version}
        ),
        412,
    )
    _error(scim.send("DELETE", path, {}, **{"If-Match": version}), 412)
    assert scim.get(path).get_json()["displayName"] == "A. S."


def test_deleting_a_user_erases_the_person(scim: Scim, services: Services) -> None:
    alice = _alice(scim)
    group = scim.send(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Engineering", "members": [{"value": alice["id"]}]},
    )
    assert group.status_code == 201
    deleted = scim.send("DELETE", f"/Users/{alice['id']}", {})
    assert deleted.status_code == 204 and deleted.data == b""
    _error(scim.get(f"/Users/{alice['id']}"), 404)
    _error(scim.send("DELETE", f"/Users/{alice['id']}", {}), 404)
    assert scim.get('/Users?filter=externalId eq "entra-0001"').get_json()["totalResults"] == 0
    assert "members" not in scim.get(f"/Groups/{group.get_json()['id']}").get_json()
    with services.sessions() as db:
        assert db.scalar(select(User).where(User.email == "alice@corp.example")) is None
        assert db.scalar(select(User).where(User.scim_external_id == "entra-0001")) is None
    # the address can be provisioned again, as a new person
    again = _alice(scim)
    assert again["id"] != alice["id"]


def test_the_last_active_administrator_stays(scim: Scim, services: Services) -> None:
    make_user(services, "root@corp.example", "admin")
    root = scim.get('/Users?filter=userName eq "root@corp.example"').get_json()["Resources"][0]
    body = _error(
        scim.patch(f"/Users/{root['id']}", {"op": "replace", "path": "active", "value": False}),
        400,
        "invalidValue",
    )
    assert "last active administrator" in body["detail"]
    _error(scim.send("DELETE", f"/Users/{root['id']}", {}), 400, "invalidValue")
    assert _account(services, email="root@corp.example").deactivated_at is None


# -- search ----------------------------------------------------------------------------------


@pytest.fixture
def people(scim: Scim, services: Services) -> dict[str, str]:
    ids = {
        "alice": _alice(scim)["id"],
        "bob": scim.create_user(
            "bob@corp.example",
            displayName="Bob Jones",
            emails=[{"value": "bob@corp.example", "type": "work"}],
            active=False,
        )["id"],
        "carol": scim.create_user(
            "carol@partner.example",
            externalId="entra-0003",
            displayName="Carol Diaz",
            emails=[{"value": "carol@partner.example"}],
        )["id"],
    }
    make_user(services, "dave@corp.example", "assessor", name="Dave Local")
    ids["dave"] = _account(services, email="dave@corp.example").scim_id or ""
    return ids


@pytest.mark.parametrize(
    ("scim_filter", "expected"),
    [
        ('userName eq "BOB@corp.example"', {"bob"}),
        ('userName sw "carol"', {"carol"}),
        ('userName co "corp"', {"alice", "bob", "dave"}),
        ('userName ew "partner.example"', {"carol"}),
        ('externalId eq "entra-0003"', {"carol"}),
        ("externalId pr", {"alice", "carol"}),
        ('emails.value eq "alice.home@example.org"', {"alice"}),
        ('emails[type eq "work" and value co "bob"]', {"bob"}),
        ('displayName co "A"', {"alice", "carol", "dave"}),
        ("active eq false", {"bob"}),
        ('active eq true and userName co "corp"', {"alice", "dave"}),
        ('userName eq "bob@corp.example" or externalId eq "entra-0003"', {"bob", "carol"}),
        ('not (userName co "corp")', {"carol"}),
        ('meta.lastModified gt "2000-01-01T00:00:00Z"', {"alice", "bob", "carol", "dave"}),
        ('meta.lastModified lt "2000-01-01T00:00:00Z"', set()),
        ('name.familyName eq "Smith"', {"alice"}),
    ],
)
def test_filters_find_exactly_the_matching_users(
    scim: Scim, people: dict[str, str], scim_filter: str, expected: set[str]
) -> None:
    found = scim.client.get(
        "/scim/v2/Users", query_string={"filter": scim_filter}, headers=scim.headers
    )
    assert found.status_code == 200, found.get_json()
    body = found.get_json()
    names = {
        name for name, scim_id in people.items() if scim_id in {r["id"] for r in body["Resources"]}
    }
    assert names == expected
    assert body["totalResults"] == len(expected)


def test_bad_filters_are_refused(scim: Scim, people: dict[str, str]) -> None:
    for scim_filter in ("userName eq", 'userName zz "x"', '(userName eq "x"', "nickName pr and"):
        response = scim.client.get(
            "/scim/v2/Users", query_string={"filter": scim_filter}, headers=scim.headers
        )
        _error(response, 400, "invalidFilter")


def test_pages_sorting_and_partial_answers(scim: Scim, people: dict[str, str]) -> None:
    page = scim.get("/Users?sortBy=userName&startIndex=2&count=2").get_json()
    assert page["totalResults"] == 4 and page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [r["userName"] for r in page["Resources"]] == [
        "bob@corp.example",
        "carol@partner.example",
    ]
    # without filter or sort: in the order the accounts were made, cut in SQL
    plain = scim.get("/Users?startIndex=2&count=2").get_json()
    assert plain["totalResults"] == 4 and plain["itemsPerPage"] == 2
    assert [r["id"] for r in plain["Resources"]] == [people["bob"], people["carol"]]
    tail = scim.get("/Users?startIndex=4&count=100").get_json()
    assert [r["id"] for r in tail["Resources"]] == [people["dave"]]
    descending = scim.get("/Users?sortBy=userName&sortOrder=descending&count=1").get_json()
    assert descending["Resources"][0]["userName"] == "dave@corp.example"
    counted = scim.get("/Users?count=0").get_json()
    assert counted["totalResults"] == 4 and counted.get("Resources", []) == []
    partial = scim.get("/Users?attributes=userName").get_json()["Resources"][0]
    assert set(partial) == {"schemas", "id", "userName"}
    hidden = scim.get(f"/Users/{people['alice']}?excludedAttributes=emails,name").get_json()
    assert "emails" not in hidden and "name" not in hidden and hidden["userName"]
    searched = scim.send(
        "POST",
        "/Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'displayName eq "carol diaz"',
        },
    )
    assert [r["id"] for r in searched.get_json()["Resources"]] == [people["carol"]]
    _error(scim.get("/Users?startIndex=zero"), 400, "invalidValue")


def test_searching_at_the_root_covers_users_and_groups(scim: Scim, people: dict[str, str]) -> None:
    scim.send("POST", "/Groups", {"schemas": [GROUP], "displayName": "Carols"})
    found = scim.send(
        "POST",
        "/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'displayName co "carol"',
        },
    ).get_json()
    assert sorted(r["meta"]["resourceType"] for r in found["Resources"]) == ["Group", "User"]


# -- groups and roles ------------------------------------------------------------------------


def _role(services: Services, scim_id: str) -> str:
    return _account(services, scim_id=scim_id).role


def test_group_membership_gives_the_mapped_role(
    scim: Scim, services: Services, people: dict[str, str]
) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    created = scim.send(
        "POST",
        "/Groups",
        {
            "schemas": [GROUP],
            "displayName": "sp-assessors",
            "externalId": "g-1",
            "members": [{"value": alice}],
        },
    )
    assert created.status_code == 201, created.get_json()
    group = created.get_json()
    assert group["members"] == [
        {"value": alice, "$ref": f"http://127.0.0.1:5000/scim/v2/Users/{alice}"}
    ]
    assert _role(services, alice) == "assessor"
    memberships = scim.get(f"/Users/{alice}").get_json()["groups"]
    assert memberships == [
        {
            "value": group["id"],
            "$ref": f"http://127.0.0.1:5000/scim/v2/Groups/{group['id']}",
            "display": "sp-assessors",
        }
    ]

    path = f"/Groups/{group['id']}"
    # Entra ID adds and removes members one operation at a time
    assert (
        scim.patch(
            path, {"op": "Add", "path": "members", "value": [{"value": bob}, {"value": carol}]}
        ).status_code
        == 200
    )
    assert (_role(services, bob), _role(services, carol)) == ("assessor", "assessor")
    assert (
        scim.patch(path, {"op": "Remove", "path": f'members[value eq "{alice}"]'}).status_code
        == 200
    )
    assert _role(services, alice) == "learner"
    # Entra ID's other spelling: the member to remove as the value
    back = scim.patch(path, {"op": "Add", "path": "members", "value": [{"value": alice}]})
    assert back.status_code == 200 and _role(services, alice) == "assessor"
    gone = scim.patch(path, {"op": "Remove", "path": "members", "value": [{"value": alice}]})
    assert gone.status_code == 200, gone.get_json()
    assert [m["value"] for m in gone.get_json()["members"]] == [bob, carol]
    assert _role(services, alice) == "learner"

    # a person in two mapped groups has the higher role; renaming a group moves its members
    mentors = scim.send(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "sp-mentors", "members": [{"value": carol}]},
    )
    assert _role(services, carol) == "assessor"
    assert (
        scim.patch(
            path, {"op": "replace", "path": "displayName", "value": "sp-mentors-old"}
        ).status_code
        == 200
    )
    assert (_role(services, bob), _role(services, carol)) == ("learner", "mentor")
    assert scim.send("DELETE", f"/Groups/{mentors.get_json()['id']}", {}).status_code == 204
    assert _role(services, carol) == "learner"
    _error(scim.get(f"/Groups/{mentors.get_json()['id']}"), 404)

    found = scim.get(
        '/Groups?filter=displayName eq "SP-MENTORS-OLD"&excludedAttributes=members'
    ).get_json()
    assert found["totalResults"] == 1 and "members" not in found["Resources"][0]
    assert scim.get('/Groups?filter=externalId eq "g-1"').get_json()["totalResults"] == 1
    with services.sessions() as db:
        actions = set(db.scalars(select(AuditEvent.action)).all())
    assert {"scim.group.create", "scim.group.update", "scim.group.delete", "user.update"} <= actions


def test_a_hiring_group_gives_the_hiring_manager_role_below_mentor(
    scim: Scim, services: Services, people: dict[str, str]
) -> None:
    alice = people["alice"]
    hiring = scim.send(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "sp-hiring", "members": [{"value": alice}]},
    )
    assert hiring.status_code == 201, hiring.get_json()
    assert _role(services, alice) == "hiring_manager"
    mentors = scim.send(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "sp-mentors", "members": [{"value": alice}]},
    ).get_json()
    assert _role(services, alice) == "mentor"  # mentor outranks hiring manager
    assert scim.send("DELETE", f"/Groups/{mentors['id']}", {}).status_code == 204
    assert _role(services, alice) == "hiring_manager"
    left = scim.patch(f"/Groups/{hiring.get_json()['id']}", {"op": "remove", "path": "members"})
    assert left.status_code == 200 and _role(services, alice) == "learner"


def test_groups_that_map_no_role_leave_roles_alone(scim: Scim, services: Services) -> None:
    make_user(services, "dave@corp.example", "assessor")
    dave = scim.get('/Users?filter=userName eq "dave@corp.example"').get_json()["Resources"][0]
    team = scim.send(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Engineering", "members": [{"value": dave["id"]}]},
    )
    assert team.status_code == 201
    assert _role(services, dave["id"]) == "assessor"
    path = f"/Groups/{team.get_json()['id']}"
    assert scim.patch(path, {"op": "remove", "path": "members"}).status_code == 200
    assert scim.send("DELETE", path, {}).status_code == 204
    assert _role(services, dave["id"]) == "assessor"
    # naming the group after a mapped one makes it give its role
    mentors = scim.send(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Mentoring", "members": [{"value": dave["id"]}]},
    ).get_json()
    renamed = scim.patch(
        f"/Groups/{mentors['id']}", {"op": "replace", "path": "displayName", "value": "sp-mentors"}
    )
    assert renamed.status_code == 200 and _role(services, dave["id"]) == "mentor"
    duplicate = scim.send(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Twice", "members": [{"value": dave["id"]}] * 2},
    )
    assert duplicate.status_code == 201
    assert len(duplicate.get_json()["members"]) == 1


def test_the_group_of_the_only_administrator_cannot_lose_them(
    scim: Scim, services: Services
) -> None:
    alice = _alice(scim)
    admins = scim.send(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "sp-admins", "members": [{"value": alice["id"]}]},
    )
    assert _role(services, alice["id"]) == "admin"
    group = admins.get_json()["id"]
    body = _error(
        scim.patch(f"/Groups/{group}", {"op": "remove", "path": "members"}), 400, "invalidValue"
    )
    assert "last active administrator" in body["detail"]
    _error(scim.send("DELETE", f"/Groups/{group}", {}), 400, "invalidValue")
    assert _role(services, alice["id"]) == "admin"


def test_groups_are_refused_what_they_cannot_hold(scim: Scim, people: dict[str, str]) -> None:
    first = scim.send("POST", "/Groups", {"schemas": [GROUP], "displayName": "Engineering"})
    assert first.status_code == 201
    _error(
        scim.send("POST", "/Groups", {"schemas": [GROUP], "displayName": "engineering"}),
        409,
        "uniqueness",
    )
    _error(scim.send("POST", "/Groups", {"schemas": [GROUP]}), 400, "invalidValue")
    _error(
        scim.send(
            "POST",
            "/Groups",
            {"schemas": [GROUP], "displayName": "X", "members": [{"value": "0123456789abcdef"}]},
        ),
        400,
        "invalidValue",
    )
    nested = scim.send(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Y", "members": [{"value": first.get_json()["id"]}]},
    )
    _error(nested, 400, "invalidValue")
    _error(scim.get("/Groups/0123456789abcdef"), 404)


def test_groups_give_no_role_without_a_mapping(settings: Settings, scim_token: str) -> None:
    app = create_app(settings.with_overrides(role_groups={}))
    services = get_services(app)
    try:
        scim = Scim(app.test_client(), scim_token)
        alice = _alice(scim)
        scim.send(
            "POST",
            "/Groups",
            {"schemas": [GROUP], "displayName": "sp-admins", "members": [{"value": alice["id"]}]},
        )
        assert _role(services, alice["id"]) == "learner"
    finally:
        services.engine.dispose()


# -- limits -----------------------------------------------------------------------------------


@pytest.fixture
def limited(settings: Settings, scim_token: str) -> Iterator[Scim]:
    app = create_app(settings.with_overrides(rate_limits="api=3/minute", max_request_bytes=2048))
    try:
        yield Scim(app.test_client(), scim_token)
    finally:
        get_services(app).engine.dispose()


def test_limits_answer_as_scim_errors(limited: Scim) -> None:
    big = {"schemas": [USER], "userName": "x@corp.example", "displayName": "x" * 4096}
    _error(limited.send("POST", "/Users", big), 413)
    for _ in range(2):
        assert limited.get("/Users").status_code == 200
    throttled = limited.get("/Users")
    _error(throttled, 429)
    assert int(throttled.headers["Retry-After"]) >= 1


# -- erasure outside SCIM (admin page, CLI) --------------------------------------------------


def _erase(services: Services, scim_id: str) -> int:
    """Erase the account as the admin page and the CLI do (not over SCIM); its user id."""
    with services.session() as db:
        user = db.scalar(select(User).where(User.scim_id == scim_id))
        assert user is not None
        erase_user(
            db,
            user,
            actor="boss@example.org",
            now=services.now(),
            secret_key=services.settings.secret_key,
        )
        return user.id


def test_a_person_erased_on_the_admin_page_leaves_scim_working(
    scim: Scim, services: Services
) -> None:
    alice = _alice(scim)["id"]
    bob = scim.create_user("bob@corp.example", displayName="Bob Jones")["id"]
    created = scim.send(
        "POST",
        "/Groups",
        {
            "schemas": [GROUP],
            "displayName": "sp-assessors",
            "members": [{"value": alice}, {"value": bob}],
        },
    )
    assert created.status_code == 201, created.get_json()
    path = f"/Groups/{created.get_json()['id']}"
    assert (_role(services, alice), _role(services, bob)) == ("assessor", "assessor")

    user_id = _erase(services, alice)

    with services.sessions() as db:
        erased = db.get(User, user_id)
        assert erased is not None and erased.scim_id is None
        assert (
            db.scalars(select(ScimGroupMember).where(ScimGroupMember.user_id == user_id)).all()
            == []
        )
    _error(scim.get(f"/Users/{alice}"), 404)
    _error(scim.send("DELETE", f"/Users/{alice}", {}), 404)
    listed = scim.get("/Users").get_json()
    assert [r["id"] for r in listed["Resources"]] == [bob] and listed["totalResults"] == 1
    assert scim.get(f'/Users?filter=id eq "{alice}"').get_json()["totalResults"] == 0
    assert scim.get('/Users?filter=externalId eq "entra-0001"').get_json()["totalResults"] == 0
    assert [m["value"] for m in scim.get(path).get_json()["members"]] == [bob]

    renamed = scim.patch(path, {"op": "replace", "path": "displayName", "value": "sp-mentors"})
    assert renamed.status_code == 200, renamed.get_json()
    assert _role(services, bob) == "mentor"
    replaced = scim.send(
        "PUT",
        path,
        {"schemas": [GROUP], "displayName": "sp-assessors", "members": [{"value": bob}]},
    )
    assert replaced.status_code == 200, replaced.get_json()
    assert _role(services, bob) == "assessor"
    deleted = scim.send("DELETE", path, {})
    assert deleted.status_code == 204, deleted.get_json()
    assert _role(services, bob) == "learner"
    # the erased account keeps the role it had: no group change touches it any more
    with services.sessions() as db:
        erased = db.get(User, user_id)
        assert erased is not None and erased.role == "assessor" and erased.erased_at is not None


def test_accounts_erased_before_the_cleanup_stay_out_of_scim(
    scim: Scim, services: Services
) -> None:
    """Accounts erased by an older version kept their SCIM id and memberships: SCIM still
    neither shows them nor changes them, nor lets a group take them in again."""
    alice = _alice(scim)["id"]
    bob = scim.create_user("bob@corp.example", displayName="Bob Jones")["id"]
    created = scim.send(
        "POST",
        "/Groups",
        {
            "schemas": [GROUP],
            "displayName": "sp-mentors",
            "members": [{"value": alice}, {"value": bob}],
        },
    )
    group_id = created.get_json()["id"]
    path = f"/Groups/{group_id}"
    user_id = _erase(services, alice)
    with services.session() as db:  # what an erasure used to leave behind
        erased = db.get(User, user_id)
        assert erased is not None
        erased.scim_id = alice
        if db.get(ScimGroupMember, (group_id, user_id)) is None:
            db.add(ScimGroupMember(group_id=group_id, user_id=user_id))

    _error(scim.get(f"/Users/{alice}"), 404)
    _error(scim.send("DELETE", f"/Users/{alice}", {}), 404)
    _error(scim.patch(f"/Users/{alice}", {"op": "replace", "path": "active", "value": True}), 404)
    for listing in ("/Users", '/Users?filter=userName co "@"', "/Users?sortBy=userName"):
        body = scim.get(listing).get_json()
        assert [r["id"] for r in body["Resources"]] == [bob], listing
        assert body["totalResults"] == 1, listing
    assert [m["value"] for m in scim.get(path).get_json()["members"]] == [bob]
    found = scim.get(f'/Groups?filter=id eq "{group_id}"').get_json()["Resources"]
    assert [m["value"] for m in found[0]["members"]] == [bob]
    taken_in = scim.patch(path, {"op": "add", "path": "members", "value": [{"value": alice}]})
    _error(taken_in, 400, "invalidValue")
    renamed = scim.patch(path, {"op": "replace", "path": "displayName", "value": "sp-assessors"})
    assert renamed.status_code == 200, renamed.get_json()
    assert _role(services, bob) == "assessor"
    assert scim.send("DELETE", path, {}).status_code == 204
    assert _role(services, bob) == "learner"
    with services.sessions() as db:
        erased = db.get(User, user_id)
        assert erased is not None and erased.role == "mentor" and erased.erased_at is not None
