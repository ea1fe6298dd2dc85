"""Certificates: an untrusted one fails with what to do; --ca-bundle and SSL_CERT_FILE fix it."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from bbpr.emulator import Emulator

from ..conftest import base_environment, bbpr


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_emulator(authority: trustme.CA) -> Iterator[Emulator]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with Emulator(prs=30, seed=3, tls=context) as emu:
        yield emu


@pytest.fixture(scope="module")
def ca_file(authority: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "company-ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return path


def cloud_env(emu: Emulator, **extra: str) -> dict[str, str]:
    return base_environment() | {"BITBUCKET_API_URL": emu.cloud_api_url,
                                 "BITBUCKET_EMAIL": emu.demo.email,
                                 "BITBUCKET_TOKEN": emu.demo.api_token,
                                 "BBPR_CONFIG_DIR": "/nonexistent/bbpr"} | extra


def test_an_untrusted_certificate_says_what_to_do(tls_emulator: Emulator) -> None:
    assert tls_emulator.cloud_api_url.startswith("https://127.0.0.1:")
    run = bbpr("list", "acme/widgets", env=cloud_env(tls_emulator))
    assert run.code == 5
    assert "could not be verified" in run.err and "--ca-bundle" in run.err
    assert "SSL_CERT_FILE" in run.err and "Traceback" not in run.err


def test_ca_bundle_option(tls_emulator: Emulator, ca_file: Path) -> None:
    run = bbpr("list", "acme/widgets", "--state", "all", "--format", "ids", "--ca-bundle",
               str(ca_file), env=cloud_env(tls_emulator))
    assert run.code == 0, run.err
    assert len(run.out.split()) == 30


def test_ssl_cert_file_variable(tls_emulator: Emulator, ca_file: Path) -> None:
    run = bbpr("list", "acme/widgets", "--format", "ids",
               env=cloud_env(tls_emulator, SSL_CERT_FILE=str(ca_file)))
    assert run.code == 0, run.err


def test_data_center_with_ca_bundle(tls_emulator: Emulator, ca_file: Path) -> None:
    env = base_environment() | {"BITBUCKET_TOKEN": tls_emulator.dc_demo.token,
                                "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}
    run = bbpr("list", "ACME/widgets", "--server", tls_emulator.datacenter_url, "--state",
               "all", "--format", "ids", "--ca-bundle", str(ca_file), env=env)
    assert run.code == 0, run.err
    assert len(run.out.split()) == len(tls_emulator.dc_pull_requests("ACME", "widgets"))


def test_doctor_names_the_certificate_problem(tls_emulator: Emulator) -> None:
    run = bbpr("doctor", "acme/widgets", env=cloud_env(tls_emulator, PYTHONIOENCODING="utf-8"))
    assert run.code == 5
    assert any(line.startswith("✗ Host") and "--ca-bundle" in line
               for line in run.out.splitlines())
