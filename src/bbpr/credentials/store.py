"""Where credentials come from, and where `bbpr auth login` keeps them.

Sources, first match wins: a secret given on purpose for this run (read from stdin or a
hidden prompt, never from a command-line value), then the environment, then what
`bbpr auth login` stored: the secret in the OS keyring, or, only when the user asked for it
with `--insecure-storage`, in the config file itself, readable by its owner alone.

The config file (`hosts.toml` under the platform's config directory, or `$BBPR_CONFIG_DIR`)
lists the logged-in hosts, keyed by their API address: `https://api.bitbucket.org/2.0` for
Cloud, the server's base URL for Data Center. A config file that others can read is refused
with the `chmod` that fixes it, since it may hold a secret.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from ..errors import InputError
from ..models import Flavour
from .kinds import (
    ANONYMOUS,
    CredentialKind,
    Credentials,
    Secret,
    environment_mistakes,
    from_environment,
    from_token,
)

KEYRING_SERVICE = "bbpr"
Storage = Literal["keyring", "file"]
_CREDENTIAL_VARIABLES = ("BITBUCKET_TOKEN", "BITBUCKET_PASSWORD", "BITBUCKET_OAUTH_CLIENT_ID",
                         "BITBUCKET_OAUTH_CLIENT_SECRET")


@dataclass(frozen=True)
class Login:
    """One host's stored login, without its secret."""

    host: str
    flavour: Flavour
    kind: CredentialKind
    user: str | None
    storage: Storage


@dataclass(frozen=True)
class GivenSecret:
    """A secret handed to this run by stdin or a prompt, with the user named by flags."""

    secret: str
    email: str | None = None
    username: str | None = None


def resolve(flavour: Flavour, host: str, environ: Mapping[str, str],
            given: GivenSecret | None = None, store: CredentialStore | None = None) -> Credentials:
    """The credential for `host`, from the first source that has one."""
    if given is not None:
        return _from_given(given, flavour, environ)
    if has_environment_credentials(environ):
        return from_environment(environ, flavour)
    stored = (store or CredentialStore.default(environ)).load(host)
    if stored is None:
        environment_mistakes(environ)
    return stored or ANONYMOUS


def has_environment_credentials(environ: Mapping[str, str]) -> bool:
    return any(environ.get(name, "").strip() for name in _CREDENTIAL_VARIABLES)


def _from_given(given: GivenSecret, flavour: Flavour, environ: Mapping[str, str]) -> Credentials:
    email = given.email or environ.get("BITBUCKET_EMAIL", "").strip() or None
    username = given.username or environ.get("BITBUCKET_USERNAME", "").strip() or None
    if flavour == "datacenter" and username and not given.secret.startswith("BBDC-"):
        return Credentials(kind="password", user=username, secret=Secret(given.secret),
                           source="standard input")
    credentials = from_token(given.secret, email=email, username=username, flavour=flavour)
    return Credentials(kind=credentials.kind, user=credentials.user, secret=credentials.secret,
                       source="standard input", notes=credentials.notes)


class CredentialStore:
    """The config file and the keyring behind it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "hosts.toml"

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None) -> CredentialStore:
        environ = os.environ if environ is None else environ
        configured = environ.get("BBPR_CONFIG_DIR")
        if configured:
            return cls(Path(configured))
        import platformdirs

        return cls(Path(platformdirs.user_config_dir("bbpr")))

    def logins(self) -> list[Login]:
        return [_login(host, entry) for host, entry in self._read().items()]

    def load(self, host: str) -> Credentials | None:
        """The stored credential for `host`, secret included, or None."""
        entry = self._read().get(host)
        if entry is None:
            return None
        login = _login(host, entry)
        if login.storage == "file":
            secret, source = str(entry.get("secret", "")), str(self.path)
        else:
            secret, source = _keyring_get(host, login.user) or "", "the keyring"
        if not secret:
            raise InputError(
                f"The stored login for {host} has lost its secret ({source}); run "
                "`bbpr auth login` again."
            )
        return Credentials(kind=login.kind, user=login.user, secret=Secret(secret), source=source)

    def save(self, host: str, flavour: Flavour, credentials: Credentials, *,
             insecure_storage: bool) -> Storage:
        """Store a checked credential; the secret goes to the keyring if there is one."""
        secret = credentials.secret.reveal() if credentials.secret else ""
        entry: dict[str, str] = {"flavour": flavour, "kind": credentials.kind}
        if credentials.user:
            entry["user"] = credentials.user
        storage: Storage
        if keyring_available() and _keyring_set(host, credentials.user, secret):
            storage = "keyring"
        elif insecure_storage:
            storage = "file"
            entry["secret"] = secret
        else:
            raise InputError(self.no_keyring_message())
        entry["storage"] = storage
        hosts = self._read()
        old = hosts.get(host)
        if old is not None and old.get("storage") == "keyring" and storage == "file":
            _keyring_delete(host, old.get("user"))
        hosts[host] = entry
        self._write(hosts)
        return storage

    def forget(self, host: str) -> bool:
        hosts = self._read()
        entry = hosts.pop(host, None)
        if entry is None:
            return False
        if entry.get("storage") == "keyring":
            _keyring_delete(host, entry.get("user"))
        self._write(hosts)
        return True

    def no_keyring_message(self) -> str:
        return (
            "No OS keyring is available here to keep the secret in. Run again with "
            f"--insecure-storage to keep it in {self.path}, readable only by you, or set "
            "BITBUCKET_TOKEN in the environment instead."
        )

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return {}
        except OSError as error:  # BBPR_CONFIG_DIR is a file, or may not be entered
            raise InputError(f"{self.path} could not be read ({error.strerror or error}); check "
                             "BBPR_CONFIG_DIR, which must be a directory.") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise InputError(
                f"{self.path} can be read by other users and may hold a secret; bbpr will not "
                f"use it until you run: chmod 600 {self.path}"
            )
        import tomllib

        try:
            document = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise InputError(f"{self.path} could not be read: {error}. Fix or delete it.") from None
        hosts = document.get("hosts", {})
        if not isinstance(hosts, dict):
            raise InputError(f"{self.path} is damaged: `hosts` is not a table of logins. Fix or "
                             "delete it, then run `bbpr auth login` again.")
        return {str(host): {str(k): str(v) for k, v in entry.items()}
                for host, entry in hosts.items() if isinstance(entry, dict)}

    def _write(self, hosts: dict[str, dict[str, str]]) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as error:
            raise InputError(f"Could not create the config directory {self.directory} "
                             f"({error.strerror or error}); check BBPR_CONFIG_DIR.") from None
        lines = ["# Written by `bbpr auth login`. Secrets live in the OS keyring unless",
                 "# storage = \"file\" (--insecure-storage).", ""]
        for host, entry in sorted(hosts.items()):
            lines.append(f"[hosts.{_toml_string(host)}]")
            lines += [f"{key} = {_toml_string(value)}" for key, value in entry.items()]
            lines.append("")
        # A new file of our own (create-exclusive, mode 0600 from its first byte), renamed
        # over the old one: a stale or planted temporary file, whatever its mode, is never
        # written through, and readers see the old file or the new one, never half of one.
        try:
            descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=".hosts.",
                                                     suffix=".tmp")
        except OSError as error:
            raise InputError(f"Could not write {self.path} ({error.strerror or error}); check "
                             "BBPR_CONFIG_DIR.") from None
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write("\n".join(lines))
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def _login(host: str, entry: Mapping[str, str]) -> Login:
    flavour = entry.get("flavour")
    kind = entry.get("kind")
    storage = entry.get("storage")
    if (flavour not in ("cloud", "datacenter") or storage not in ("keyring", "file")
            or kind not in get_args(CredentialKind)):
        raise InputError(f"The stored login for {host} is damaged; run `bbpr auth login` again.")
    return Login(host=host, flavour=flavour, kind=kind,  # type: ignore[arg-type]
                 user=entry.get("user"), storage=storage)  # type: ignore[arg-type]


def _toml_string(value: str) -> str:
    """A TOML basic string; JSON's escaping is a subset TOML accepts."""
    return json.dumps(value, ensure_ascii=False)


def keyring_available() -> bool:
    """Whether a real keyring backend is there (on a headless machine there often is none)."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return False
    backend = keyring.get_keyring()
    return not isinstance(backend, (fail.Keyring, null.Keyring))


def _keyring_key(host: str, user: str | None) -> str:
    return f"{host} {user or ''}".strip()


def _keyring_get(host: str, user: str | None) -> str | None:
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, _keyring_key(host, user))
    except Exception:  # any backend failure means: nothing stored there
        return None


def _keyring_set(host: str, user: str | None, secret: str) -> bool:
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, _keyring_key(host, user), secret)
    except Exception:  # a locked or broken keyring: fall back, do not crash
        return False
    return True


def _keyring_delete(host: str, user: str | None) -> None:
    try:
        import keyring

        keyring.delete_password(KEYRING_SERVICE, _keyring_key(host, user))
    except Exception:  # noqa: S110 (already gone, or no keyring: nothing to forget)
        pass
