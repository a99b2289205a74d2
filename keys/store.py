"""An on-disk store of encrypted signing keys, one PKCS#8 PEM file per key.

Each key is written as ``<kid>.pem`` (``kid`` = RFC 7638 thumbprint of its public key) in PKCS#8
form (RFC 5958) encrypted with the store's passphrase (cryptography's
``BestAvailableEncryption``, PBES2 per RFC 8018); no unencrypted key is ever written. The
directory is created with mode 0700 and files with mode 0600; files are written to a temporary
name in the same directory and moved into place with ``os.replace`` so a reader never sees a
partial key. Key ids are checked against the thumbprint alphabet before any path is built, so a
``kid`` cannot name a file outside the store. Decrypted keys are cached per instance because
decryption is deliberately slow.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm as _CryptoUnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    load_pem_private_key,
)

from keys.errors import (
    BadPassphrase,
    InvalidKey,
    KeyNotFound,
    KeyStoreError,
    UnsupportedAlgorithm,
)
from keys.keypair import SigningKey, generate_key

__all__ = ["KeyStore"]

# RFC 7638 §3 with SHA-256: 32 bytes → 43 base64url characters, no padding.
_KID = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)
_SUFFIX = ".pem"
_ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"  # RFC 7468 §11
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

    Raises (on construction):
        KeyStoreError: the passphrase is empty or not bytes.
    """

    def __init__(self, directory: Path, passphrase: bytes) -> None:
        secret: object = passphrase
        if not isinstance(secret, bytes | bytearray) or not secret:
            raise KeyStoreError("The key store passphrase must be non-empty bytes.")
        self._directory = Path(directory)
        self._passphrase = bytes(secret)
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
        pem = key.private_key.private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(self._passphrase)
        )
        self._ensure_directory()
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
        if not isinstance(kid, str) or _KID.fullmatch(kid) is None:
            raise KeyNotFound()  # checked before any path is built: no traversal possible
        cached = self._cache.get(kid)
        if cached is not None:
            return cached
        try:
            data = (self._directory / f"{kid}{_SUFFIX}").read_bytes()
        except FileNotFoundError as exc:
            raise KeyNotFound() from exc
        except OSError as exc:
            raise KeyStoreError("The key file could not be read.") from exc
        if not data.lstrip().startswith(_ENCRYPTED_PEM):
            raise KeyStoreError("The key file is not an encrypted PKCS#8 private key.")
        try:
            private_key = load_pem_private_key(data, password=self._passphrase)
        except ValueError as exc:
            raise BadPassphrase() from exc
        except (TypeError, _CryptoUnsupportedAlgorithm) as exc:
            raise KeyStoreError("The key file does not hold a supported private key.") from exc
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
        return key

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
        try:
            self._directory.mkdir(mode=_DIR_MODE, parents=True)
            os.chmod(self._directory, _DIR_MODE)  # mkdir's mode is reduced by the umask
        except FileExistsError as exc:
            if not self._directory.is_dir():
                raise KeyStoreError("The key store path is not a directory.") from exc
        except OSError as exc:
            raise KeyStoreError("The key store directory could not be created.") from exc
