"""An on-disk store of encrypted signing keys, one file per key.

Each key is written as ``<kid>.pem`` (``kid`` = RFC 7638 thumbprint of its public key): its
PKCS#8 form (RFC 5958), encrypted with AES-256-GCM under a key derived from the store's
passphrase with scrypt (RFC 7914), a memory-hard KDF, at ``N=2**17, r=8, p=1`` (128 MiB, about
0.4 s: OWASP's recommendation for scrypt) unless the caller asks otherwise. The file is a PEM
block labelled ``SKILL PASSPORT ENCRYPTED PRIVATE KEY`` around a JSON envelope with a
``version``, the KDF and its parameters and salt, the cipher and its nonce, and the ciphertext;
the envelope's header is the cipher's associated data, so parameters cannot be lowered without
the tag failing. No unencrypted key is ever written.

Files written before (PKCS#8 PBES2 with cryptography's 2,048 PBKDF2 iterations, finding 11 of
issue 17) still load, and are rewritten in the new form the first time they are loaded (as are
files whose scrypt cost is below the store's); :meth:`KeyStore.upgrade` rewrites them all at
once (``passport keys upgrade``). A store created in production may be given a minimum
passphrase strength (:mod:`keys.strength`); a weaker one is refused before the first key is
written. The directory is created with mode 0700 and files with mode 0600; files are written
to a temporary name in the same directory and moved into place with ``os.replace`` so a reader
never sees a partial key. Key ids are checked against the thumbprint alphabet before any path
is built, so a ``kid`` cannot name a file outside the store. Decrypted keys are cached per
instance because decryption is deliberately slow.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.exceptions import UnsupportedAlgorithm as _CryptoUnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_der_private_key,
    load_pem_private_key,
)

from keys.errors import (
    BadPassphrase,
    InvalidKey,
    KeyNotFound,
    KeyStoreError,
    UnsupportedAlgorithm,
    WeakPassphrase,
)
from keys.keypair import SigningKey, generate_key
from keys.strength import estimate_bits

__all__ = [
    "DEFAULT_SCRYPT",
    "KeyStore",
    "ScryptParameters",
    "WeakPassphrase",
    "decrypt_key_file",
    "key_file_kdf",
]

# RFC 7638 §3 with SHA-256: 32 bytes → 43 base64url characters, no padding.
_KID = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)
_SUFFIX = ".pem"
_ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"  # RFC 7468 §11: the old form
_LABEL = "SKILL PASSPORT ENCRYPTED PRIVATE KEY"
_BEGIN = f"-----BEGIN {_LABEL}-----".encode("ascii")
_END = f"-----END {_LABEL}-----".encode("ascii")
_VERSION: Final = 1
_CIPHER: Final = "A256GCM"
#: Bounds on what a file may ask of us: a tampered file must not make us allocate gigabytes.
_MAX_N: Final = 2**20
_MIN_N: Final = 2**10


@dataclass(frozen=True, slots=True)
class ScryptParameters:
    """scrypt's cost (RFC 7914 section 2): ``n`` a power of two, block size ``r``, ``p``."""

    n: int
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if not (_MIN_N <= self.n <= _MAX_N) or self.n & (self.n - 1):
            raise KeyStoreError("The scrypt cost N must be a power of two from 2**10 to 2**20.")
        if not (1 <= self.r <= 32 and 1 <= self.p <= 16):
            raise KeyStoreError("The scrypt parameters r and p are out of range.")

    def weaker_than(self, other: ScryptParameters) -> bool:
        """Whether these parameters cost less memory and time than ``other``."""
        return self.n * self.r * self.p < other.n * other.r * other.p


#: OWASP's scrypt recommendation (Password Storage Cheat Sheet): 128 MiB, about 0.4 s here.
DEFAULT_SCRYPT: Final = ScryptParameters(n=2**17, r=8, p=1)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not text")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(passphrase: bytes, salt: bytes, params: ScryptParameters) -> bytes:
    return Scrypt(salt=salt, length=32, n=params.n, r=params.r, p=params.p).derive(passphrase)


def _header_bytes(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _seal(der: bytes, passphrase: bytes, params: ScryptParameters) -> bytes:
    """The file content for PKCS#8 ``der`` (see the module docstring)."""
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    header: dict[str, Any] = {
        "version": _VERSION,
        "kdf": {"name": "scrypt", "n": params.n, "r": params.r, "p": params.p, "salt": _b64(salt)},
        "cipher": {"name": _CIPHER, "nonce": _b64(nonce)},
    }
    ciphertext = AESGCM(_derive(passphrase, salt, params)).encrypt(
        nonce, der, _header_bytes(header)
    )
    envelope = json.dumps({**header, "ciphertext": _b64(ciphertext)}, sort_keys=True)
    body = base64.encodebytes(envelope.encode("utf-8"))
    return _BEGIN + b"\n" + body + _END + b"\n"


def _envelope(data: bytes) -> tuple[dict[str, Any], ScryptParameters]:
    """The parsed envelope of a file in our form and its KDF parameters; KeyStoreError if bad."""
    text = data.strip()
    if not (text.startswith(_BEGIN) and text.endswith(_END)):
        raise KeyStoreError("The key file is not an encrypted private key.")
    try:
        envelope = json.loads(base64.b64decode(text[len(_BEGIN) : -len(_END)], validate=False))
        kdf = envelope["kdf"]
        if envelope["version"] != _VERSION or kdf["name"] != "scrypt":
            raise KeyStoreError("The key file uses a format this version does not read.")
        if envelope["cipher"]["name"] != _CIPHER:
            raise KeyStoreError("The key file uses a format this version does not read.")
        params = ScryptParameters(n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"]))
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise KeyStoreError("The key file is damaged.") from exc
    if not isinstance(envelope, dict):
        raise KeyStoreError("The key file is damaged.")
    return envelope, params


def key_file_kdf(data: bytes) -> ScryptParameters | None:
    """The scrypt parameters a key file was written with; None for the old PBES2 form.

    Raises KeyStoreError for content that is neither form.
    """
    if data.lstrip().startswith(_ENCRYPTED_PEM):
        return None
    return _envelope(data)[1]


def decrypt_key_file(data: bytes, passphrase: bytes) -> Any:
    """The private key in a key file of either form (a ``cryptography`` private key object).

    Raises:
        BadPassphrase: the passphrase does not decrypt it (or it was altered).
        KeyStoreError: the content is not an encrypted key file of ours.
    """
    if data.lstrip().startswith(_ENCRYPTED_PEM):
        try:
            return load_pem_private_key(data, password=passphrase)
        except ValueError as exc:
            raise BadPassphrase() from exc
        except (TypeError, _CryptoUnsupportedAlgorithm) as exc:
            raise KeyStoreError("The key file does not hold a supported private key.") from exc
    envelope, params = _envelope(data)
    header = {name: envelope[name] for name in ("version", "kdf", "cipher")}
    try:
        salt, nonce = _unb64(envelope["kdf"]["salt"]), _unb64(envelope["cipher"]["nonce"])
        ciphertext = _unb64(envelope["ciphertext"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise KeyStoreError("The key file is damaged.") from exc
    try:
        der = AESGCM(_derive(passphrase, salt, params)).decrypt(
            nonce, ciphertext, _header_bytes(header)
        )
    except (InvalidTag, ValueError) as exc:
        raise BadPassphrase() from exc
    try:
        return load_der_private_key(der, password=None)
    except (ValueError, TypeError, _CryptoUnsupportedAlgorithm) as exc:
        raise KeyStoreError("The key file does not hold a supported private key.") from exc


_DIR_MODE = 0o700
_FILE_MODE = 0o600
_OPEN_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class KeyStore:
    """Encrypted signing keys in ``directory``, decrypted with ``passphrase``.

    ``kdf`` is the scrypt cost of the files this store writes (:data:`DEFAULT_SCRYPT`; a test
    suite may pass a cheaper one). ``min_passphrase_bits`` (0: no check) refuses to create the
    store, before its first key is written, with a passphrase estimated weaker
    (:func:`keys.strength.estimate_bits`).

    Raises (on construction):
        KeyStoreError: the passphrase is empty or not bytes.
    """

    def __init__(
        self,
        directory: Path,
        passphrase: bytes,
        *,
        kdf: ScryptParameters = DEFAULT_SCRYPT,
        min_passphrase_bits: float = 0,
    ) -> None:
        secret: object = passphrase
        if not isinstance(secret, bytes | bytearray) or not secret:
            raise KeyStoreError("The key store passphrase must be non-empty bytes.")
        self._directory = Path(directory)
        self._passphrase = bytes(secret)
        self._kdf = kdf
        self._min_passphrase_bits = min_passphrase_bits
        self._cache: dict[str, SigningKey] = {}

    def __repr__(self) -> str:
        return f"KeyStore({str(self._directory)!r})"

    @property
    def directory(self) -> Path:
        """The directory holding the key files."""
        return self._directory

    def create(self, alg: str, *, rsa_bits: int = 3072) -> SigningKey:
        """Generate a key for ``alg``, store it encrypted, and return it.

        Returns:
            The new :class:`SigningKey` (also cached for :meth:`load`).

        Raises:
            UnsupportedAlgorithm: ``alg`` is not allowed.
            InvalidKey: ``rsa_bits`` is out of range.
            KeyStoreError: the key could not be written.
        """
        key = generate_key(alg, rsa_bits=rsa_bits)
        self.import_key(key)
        return key

    def import_key(self, key: SigningKey) -> str:
        """Store an existing key (replacing a file with the same ``kid``) and return its kid.

        Returns:
            The key's ``kid``.

        Raises:
            KeyStoreError: the directory or file could not be created or written.
        """
        self._ensure_directory()
        der = key.private_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        pem = _seal(der, self._passphrase, self._kdf)
        final = self._directory / f"{key.kid}{_SUFFIX}"
        temporary = self._directory / f".{key.kid}.{secrets.token_hex(8)}.tmp"
        try:
            # O_EXCL + mode 0600 at creation: the file is never readable by others, not even
            # briefly, and an existing file or symlink at the temporary name is never followed.
            descriptor = os.open(temporary, _OPEN_FLAGS, _FILE_MODE)
        except OSError as exc:
            raise KeyStoreError("The key file could not be created.") from exc
        try:
            with open(descriptor, "wb") as handle:
                if hasattr(os, "fchmod"):
                    os.fchmod(handle.fileno(), _FILE_MODE)  # the umask may have removed bits
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise KeyStoreError("The key file could not be written.") from exc
        self._cache[key.kid] = key
        return key.kid

    def _read(self, kid: object) -> bytes:
        """The bytes of the key file named ``kid``; KeyNotFound or KeyStoreError."""
        if not isinstance(kid, str) or _KID.fullmatch(kid) is None:
            raise KeyNotFound()  # checked before any path is built: no traversal possible
        try:
            return (self._directory / f"{kid}{_SUFFIX}").read_bytes()
        except FileNotFoundError as exc:
            raise KeyNotFound() from exc
        except OSError as exc:
            raise KeyStoreError("The key file could not be read.") from exc

    def load(self, kid: str) -> SigningKey:
        """Return the stored key ``kid``, decrypting it on first use.

        Returns:
            The :class:`SigningKey`, cached in this instance after the first load.

        Raises:
            KeyNotFound: ``kid`` is not a 43-character thumbprint or no such file exists.
            BadPassphrase: the passphrase does not decrypt the file (a corrupted encrypted file
                cannot be told apart from a wrong passphrase).
            KeyStoreError: the file cannot be read, is not an encrypted PKCS#8 key, holds an
                unsupported key, or holds a key whose thumbprint is not ``kid``.
        """
        cached = self._cache.get(kid) if isinstance(kid, str) else None
        if cached is not None:
            return cached
        data = self._read(kid)
        private_key = decrypt_key_file(data, self._passphrase)
        if not isinstance(
            private_key, Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
        ):
            raise KeyStoreError("The key file does not hold a supported private key.")
        try:
            key = SigningKey.from_private_key(private_key)
        except (InvalidKey, UnsupportedAlgorithm) as exc:
            raise KeyStoreError("The key file holds a key that may not be used.") from exc
        if key.kid != kid:
            raise KeyStoreError("The key file does not hold the key its name says.")
        self._cache[kid] = key
        params = key_file_kdf(data)
        if params is None or params.weaker_than(self._kdf):
            # An old file (2,048 PBKDF2 iterations) or a cheaper scrypt: rewrite it now. A
            # read-only store keeps working with the old file.
            with contextlib.suppress(KeyStoreError):
                self.import_key(key)
        return key

    def kdf_of(self, kid: str) -> ScryptParameters | None:
        """The scrypt parameters of key ``kid``'s file (None: the old PBES2 form).

        Raises KeyNotFound or KeyStoreError as :meth:`load`.
        """
        return key_file_kdf(self._read(kid))

    def upgrade(self) -> list[str]:
        """Rewrite every key file in the old form, or cheaper than this store's KDF.

        Returns the kids rewritten. Raises as :meth:`load` (a wrong passphrase: BadPassphrase).
        """
        rewritten = []
        for kid in self.kids():
            params = self.kdf_of(kid)
            if params is None or params.weaker_than(self._kdf):
                self._cache.pop(kid, None)
                self.load(kid)  # loading rewrites it
                rewritten.append(kid)
        return rewritten

    def kids(self) -> list[str]:
        """Return the ids of all stored keys, sorted.

        Returns:
            The sorted kids (an empty list if the directory does not exist yet).

        Raises:
            KeyStoreError: the directory cannot be listed.
        """
        try:
            names = os.listdir(self._directory)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise KeyStoreError("The key store directory could not be read.") from exc
        found = (name.removesuffix(_SUFFIX) for name in names if name.endswith(_SUFFIX))
        return sorted(kid for kid in found if _KID.fullmatch(kid) is not None)

    def _ensure_directory(self) -> None:
        passphrase = self._passphrase.decode("utf-8", "replace")
        if (
            not self._directory.exists()
            and self._min_passphrase_bits
            and estimate_bits(passphrase) < self._min_passphrase_bits
        ):
            raise WeakPassphrase()
        try:
            self._directory.mkdir(mode=_DIR_MODE, parents=True)
            os.chmod(self._directory, _DIR_MODE)  # mkdir's mode is reduced by the umask
        except FileExistsError as exc:
            if not self._directory.is_dir():
                raise KeyStoreError("The key store path is not a directory.") from exc
        except OSError as exc:
            raise KeyStoreError("The key store directory could not be created.") from exc
