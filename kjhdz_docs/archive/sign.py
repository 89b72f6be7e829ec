"""Signed seals (固化信息, DA/T 70 真实性): PAdES signatures on the archival PDFs, a detached CMS signature
over the bag's tag manifest, and their checks against the certificates the project trusts.

- **The key**: a PKCS#12 file named by ``KJHDZ_SIGNING_P12`` (its password in ``KJHDZ_SIGNING_PASSWORD``),
  else ``<keys>/archive-signing.p12``, where ``<keys>`` is ``KJHDZ_KEYS`` or ``keys/`` at the project root
  (git-ignored, never inside ``archive/``). When neither exists, the first seal creates a self-signed
  certificate for the ministry there, says so, and adds its fingerprint to the trusted list.
- **Trust** comes from ``<keys>/trusted.txt`` only: SHA-256 fingerprints of the signing certificates the
  project accepts, one a line (``#`` starts a comment). A certificate found inside a bag is never trusted
  because it is there: a forger who re-signs a bag with a key of their own fails the check.
- **PDFs** are signed by an incremental update (pyHanko, PAdES baseline B-B, an invisible field with the
  print flag, as PDF/A-2b wants), so the stamped PDF/A-2b revision stays byte for byte as it was:
  :func:`unsigned_revision` returns it (what determinism compares).
- **The bag**: ``tagmanifest-sha256.txt.p7s``, a detached CMS (RFC 5652) signature over
  ``tagmanifest-sha256.txt``, which lists the payload manifests, ``bagit.txt`` and ``bag-info.txt``; so a
  change to any payload file or any manifest breaks it. ``bag-info.txt`` names it (``Tag-Signature``).
- No timestamp authority is reachable offline: the signing time is the signer's clock (the real time),
  and verify reports the timestamp check as not run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataFileError, MissingDependencyError
from ..paths import ROOT

log = logging.getLogger(__name__)

KEYS_ENV = "KJHDZ_KEYS"
P12_ENV = "KJHDZ_SIGNING_P12"
PASSWORD_ENV = "KJHDZ_SIGNING_PASSWORD"
GENERATED_P12 = "archive-signing.p12"
TRUSTED = "trusted.txt"
SIGNED_TAG_MANIFEST = "tagmanifest-sha256.txt"
TAG_SIGNATURE = SIGNED_TAG_MANIFEST + ".p7s"
FIELD_NAME = "KJHDZ-Archive-Seal"
SELF_SIGNED_SUBJECT = {"organization": "科学技术部", "unit": "档案", "common_name": "科学技术部 档案 归档封装签名"}
SELF_SIGNED_YEARS = 30
FP_RE = re.compile(r"^[0-9a-f]{64}$")
NOT_RUN_TIMESTAMP = ("未执行：时间戳服务（TSA）离线不可达；签名时间为封装机器的时钟，"
                     "如需可信时间请在联网环境加盖时间戳")


def keys_dir() -> Path:
    """Where the archive's own key and the trusted list live: never inside ``archive/``, where whoever can
    edit the bags could also trust a key of their own (that is a data error, exit 2)."""
    from ..paths import archive_root

    folder = Path(os.environ.get(KEYS_ENV) or ROOT / "keys")
    archive = archive_root().resolve()
    if folder.resolve() == archive or archive in folder.resolve().parents:
        raise DataFileError(folder, [f"{KEYS_ENV}: the signing keys and the trusted list must not be inside the "
                                     f"archive folder {archive}; move them elsewhere"])
    return folder


def trusted_path() -> Path:
    return keys_dir() / TRUSTED


def fingerprint(cert) -> str:
    """SHA-256 of a certificate's DER bytes (asn1crypto or cryptography certificate), lower-case hex."""
    der = cert.dump() if hasattr(cert, "dump") else cert.public_bytes(_serialization().Encoding.DER)
    return hashlib.sha256(der).hexdigest()


def _serialization():
    from cryptography.hazmat.primitives import serialization
    return serialization


def trusted_fingerprints(path: Path | None = None) -> dict[str, str]:
    """The trusted list: fingerprint -> its comment. A malformed line is a data-file error (exit 2)."""
    path = path or trusted_path()
    if not path.exists():
        return {}
    out, problems = {}, []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text, _, comment = line.partition("#")
        fp = text.strip().replace(":", "").lower()
        if not fp:
            continue
        if not FP_RE.match(fp):
            problems.append(f"line {n}: {text.strip()!r} is not a SHA-256 certificate fingerprint (64 hex digits)")
            continue
        out[fp] = comment.strip()
    if problems:
        raise DataFileError(path, problems)
    return out


def add_trusted(fp: str, comment: str, path: Path | None = None) -> None:
    """Append a fingerprint to the trusted list (atomically; nothing when it is already there)."""
    path = path or trusted_path()
    if fp in trusted_fingerprints(path):
        return
    old = path.read_text(encoding="utf-8") if path.exists() else (
        "# SHA-256 fingerprints of the certificates whose signatures `invoke verify` accepts on sealed bags.\n"
        "# One a line; text after # is a comment. See README.md (Signed seals).\n")
    if old and not old.endswith("\n"):
        old += "\n"
    _write_atomic(path, (old + f"{fp}  # {comment}\n").encode("utf-8"), mode=0o644)


def _write_atomic(path: Path, data: bytes, *, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _outside_event_loop(fn):
    """pyHanko's synchronous calls run their own asyncio loop, which fails in a thread whose loop is already
    running (an embedding application, playwright's sync API): there, run them in a worker thread."""
    import functools

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return fn(*args, **kwargs)
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(fn, *args, **kwargs).result()
    return call


# --- the signing key --------------------------------------------------------------------------------
@dataclass
class SigningKey:
    """The archive's signer: pyHanko's SimpleSigner with what the seal reports of it."""

    signer: object
    fingerprint: str
    subject: str
    p12: Path
    created: bool = False
    notes: list[str] = field(default_factory=list)


def _password() -> bytes | None:
    pw = os.environ.get(PASSWORD_ENV)
    return pw.encode("utf-8") if pw else None


def create_self_signed(path: Path, password: bytes | None = None) -> str:
    """Write a PKCS#12 with a new RSA-3072 key and a self-signed certificate for the ministry's archive;
    returns its fingerprint. The key file is readable by its owner only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    serialization = _serialization()
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, SELF_SIGNED_SUBJECT["organization"]),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, SELF_SIGNED_SUBJECT["unit"]),
                      x509.NameAttribute(NameOID.COMMON_NAME, SELF_SIGNED_SUBJECT["common_name"])])
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * SELF_SIGNED_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    enc = (serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption())
    data = pkcs12.serialize_key_and_certificates(b"kjhdz-archive", key, cert, None, enc)
    _write_atomic(path, data, mode=0o600)
    return fingerprint(cert)


def load_signing_key(*, create: bool = True) -> SigningKey:
    """The configured PKCS#12 (``KJHDZ_SIGNING_P12``), else the project's own one in ``<keys>/``, created
    (self-signed, fingerprint added to the trusted list) when ``create`` and it does not exist yet."""
    try:
        from pyhanko.sign import signers
    except ImportError as exc:                                         # pragma: no cover
        raise MissingDependencyError(f"pyHanko is not installed ({exc})",
                                     hint="run scripts/quickstart.sh setup") from exc
    configured = os.environ.get(P12_ENV)
    path = Path(configured) if configured else keys_dir() / GENERATED_P12
    password = _password()
    created, notes = False, []
    if not path.exists():
        if configured:
            raise DataFileError(path, [f"{P12_ENV} names this PKCS#12 signing key, but there is no such file"])
        if not create:
            raise DataFileError(path, ["no signing key: seal a year once (it creates one) or set " + P12_ENV])
        fp = create_self_signed(path, password)
        add_trusted(fp, f"{SELF_SIGNED_SUBJECT['common_name']} (self-signed, created "
                        f"{dt.date.today().isoformat()}, {path.name})")
        created = True
        notes.append(f"created a self-signed signing certificate for {SELF_SIGNED_SUBJECT['organization']} "
                     f"{SELF_SIGNED_SUBJECT['unit']} in {path} (fingerprint {fp}) and added it to "
                     f"{trusted_path()}; replace it with the institution's certificate (README: Signed seals)")
    try:
        loaded = signers.SimpleSigner.load_pkcs12_data(path.read_bytes(), other_certs=(), passphrase=password)
        signer = _signer_class()(signing_key=loaded.signing_key, signing_cert=loaded.signing_cert,
                                 cert_registry=loaded.cert_registry)
    except (ValueError, OSError) as exc:
        raise DataFileError(path, [f"cannot load the PKCS#12 signing key ({exc.__cause__ or exc}); "
                                   f"is {PASSWORD_ENV} set to its password?"]) from exc
    fp = fingerprint(signer.signing_cert)
    subject = signer_name(signer.signing_cert)
    if fp not in trusted_fingerprints():
        notes.append(f"the signing certificate {fp} ({subject}) is not in {trusted_path()}: verify will fail "
                     "the bags it signs until its fingerprint is added there")
    return SigningKey(signer, fp, subject, path, created, notes)


_SIGNER_CLASS = None


def _signer_class():
    """pyHanko's SimpleSigner, but the private key is parsed once: SimpleSigner parses (and for RSA,
    validates) it again for every signature, which cost about 0.13 s a PDF, twice (size estimate + sign)."""
    global _SIGNER_CLASS
    if _SIGNER_CLASS is None:
        from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
        from pyhanko.sign.general import get_pyca_cryptography_hash
        from pyhanko.sign.signers import SimpleSigner

        class CachedKeySigner(SimpleSigner):
            _pyca_key = None

            def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
                mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
                if self._pyca_key is None:
                    self._pyca_key = _serialization().load_der_private_key(self.signing_key.dump(), password=None)
                key, hash_algo = self._pyca_key, get_pyca_cryptography_hash(digest_algorithm)
                if mechanism == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
                    return key.sign(data, PKCS1v15(), hash_algo)
                if mechanism == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
                    return key.sign(data, signature_algorithm=ECDSA(hash_algo))
                return super().sign_raw(data, digest_algorithm)

        _SIGNER_CLASS = CachedKeySigner
    return _SIGNER_CLASS


def _reserved(key: SigningKey) -> int:
    """Bytes to reserve for the CMS container: the certificates plus room for the signature and attributes
    (so pyHanko need not sign twice to measure it)."""
    certs = [key.signer.signing_cert, *list(key.signer.cert_registry)]
    return sum(len(c.dump()) for c in certs) + 4096


# --- PDFs -------------------------------------------------------------------------------------------
@_outside_event_loop
def sign_pdf(path: Path, key: SigningKey, *, reason: str = "归档封装", location: str = "") -> None:
    """Sign ``path`` in place with a PAdES (ETSI.CAdES.detached) signature in an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    data = path.read_bytes()
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES, reason=reason,
                                        location=location or None, name=key.subject)
    writer = _metadata_keeping_writer(IncrementalPdfFileWriter)(io.BytesIO(data), strict=False)
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=key.signer).sign_pdf(writer, output=out, bytes_reserved=_reserved(key))
    _write_atomic(path, out.getvalue(), mode=0o644)


def _metadata_keeping_writer(base):
    """pyHanko's incremental writer rewrites the XMP packet and DocInfo (Producer "pyHanko …", ModDate) in the
    signature's update. The stamped revision's XMP (DA/T 46 fields, pdfaExtension schema, PDF/A-2b id) and its
    DocInfo are the record and must stay as they are, in step with each other: this writer leaves them alone."""
    class MetadataKeepingWriter(base):
        def _update_meta(self):
            pass
    return MetadataKeepingWriter


def unsigned_revision(data: bytes) -> bytes:
    """The bytes of a signed PDF before its (last) signature's incremental update: exactly the file as it
    was before :func:`sign_pdf`. An unsigned PDF is returned as it is."""
    m = None
    for m in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data):
        pass
    if m is None:
        return data
    contents_at = int(m.group(2))
    end = data.rfind(b"%%EOF", 0, contents_at)
    if end < 0:
        return data
    end += len(b"%%EOF")
    while end < len(data) and data[end:end + 1] in (b"\r", b"\n"):
        end += 1
    return data[:end]


@dataclass
class SignatureCheck:
    """What a check of one signature found."""

    ok: bool
    problem: str | None = None
    signer: str | None = None
    fingerprint: str | None = None
    signed_at: str | None = None
    trusted: bool = False

    def as_dict(self) -> dict:
        return {"ok": self.ok, "problem": self.problem, "signer": self.signer, "fingerprint": self.fingerprint,
                "signed_at": self.signed_at, "trusted": self.trusted}


def _context(cert):
    """A validation context whose only root is ``cert``: it checks the signature's mathematics and the
    certificate's validity; trust is decided by the fingerprint list, not by this."""
    from pyhanko_certvalidator import ValidationContext
    return ValidationContext(trust_roots=[cert], allow_fetching=False, revocation_mode="soft-fail")


def signer_name(cert) -> str:
    """The certificate subject's common name (else its whole subject), for reports."""
    n = cert.subject.native
    return n.get("common_name") or cert.subject.human_friendly


def _when(value) -> str | None:
    """A signing time as ISO 8601 in Asia/Shanghai (the archive's time zone)."""
    from zoneinfo import ZoneInfo
    return value.astimezone(ZoneInfo("Asia/Shanghai")).isoformat(timespec="seconds") if value else None


@_outside_event_loop
def check_pdf(path: Path, trusted: dict[str, str]) -> SignatureCheck:
    """The archive's signature on ``path``: present, intact, covering the whole file, by a trusted cert."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        with open(path, "rb") as f:
            reader = PdfFileReader(f, strict=False)
            sigs = reader.embedded_signatures
            if not sigs:
                return SignatureCheck(False, "no signature: the PDF carries no PAdES signature of the archive")
            sig = sigs[-1]
            cert = sig.signer_cert
            fp = fingerprint(cert)
            base = dict(signer=signer_name(cert), fingerprint=fp,
                        signed_at=_when(sig.self_reported_timestamp), trusted=fp in trusted)
            status = validate_pdf_signature(sig, _context(cert), skip_diff=True)
    except Exception as exc:                     # a damaged file or signature is a finding, not a crash
        return SignatureCheck(False, f"the signature cannot be read: {type(exc).__name__}: {exc}")
    if not status.intact:
        return SignatureCheck(False, "broken signature: the signed bytes were changed after signing", **base)
    if not status.valid:
        return SignatureCheck(False, "broken signature: the signature value does not verify", **base)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return SignatureCheck(False, "broken signature: the file was changed after signing "
                                     f"(the signature covers {status.coverage.name.lower()})", **base)
    if not base["trusted"]:
        return SignatureCheck(False, f"untrusted signer: certificate {fp} ({base['signer']}) is not in the "
                                     "project's trusted list", **base)
    return SignatureCheck(True, None, **base)


# --- the bag's tag manifest -------------------------------------------------------------------------
@_outside_event_loop
def sign_detached(data_path: Path, sig_path: Path, key: SigningKey) -> None:
    """Write ``sig_path``: a DER detached CMS signature (signing time, signer's certificate) over ``data_path``."""
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    data = data_path.read_bytes()
    attrs = PdfCMSSignedAttributes(signing_time=dt.datetime.now(dt.timezone.utc))
    content = asyncio.run(key.signer.async_sign_general_data(data, "sha256", detached=True,
                                                             signed_attr_settings=attrs))
    _write_atomic(sig_path, content.dump(), mode=0o644)


@_outside_event_loop
def check_detached(data_path: Path, sig_path: Path, trusted: dict[str, str]) -> SignatureCheck:
    """The detached CMS signature ``sig_path`` over ``data_path``: intact, valid, by a trusted certificate."""
    from asn1crypto import cms
    from pyhanko.sign.validation import async_validate_detached_cms

    if not sig_path.is_file():
        return SignatureCheck(False, f"no signature: {sig_path.name} is missing")
    if not data_path.is_file():
        return SignatureCheck(False, f"{data_path.name} is missing, nothing to check the signature against")
    try:
        info = cms.ContentInfo.load(sig_path.read_bytes())
        signed = info["content"]
        sid = signed["signer_infos"][0]["sid"].chosen
        cert = next(c.chosen for c in signed["certificates"]
                    if c.chosen.issuer == sid["issuer"] and c.chosen.serial_number == sid["serial_number"].native)
        fp = fingerprint(cert)
        status = asyncio.run(async_validate_detached_cms(data_path.read_bytes(), signed,
                                                         signer_validation_context=_context(cert)))
    except Exception as exc:
        return SignatureCheck(False, f"the signature cannot be read: {type(exc).__name__}: {exc}")
    base = dict(signer=signer_name(cert), fingerprint=fp, signed_at=_when(status.signer_reported_dt),
                trusted=fp in trusted)
    if not status.intact:
        return SignatureCheck(False, f"broken signature: {data_path.name} was changed after signing", **base)
    if not status.valid:
        return SignatureCheck(False, "broken signature: the signature value does not verify", **base)
    if not base["trusted"]:
        return SignatureCheck(False, f"untrusted signer: certificate {fp} ({base['signer']}) is not in the "
                                     "project's trusted list", **base)
    return SignatureCheck(True, None, **base)


# --- hooks for the seal and verify --------------------------------------------------------------------
BAG_INFO = {"Tag-Signature": f"{TAG_SIGNATURE} (CMS/PKCS#7 detached signature, RFC 5652, over {SIGNED_TAG_MANIFEST})"}


def describe(key: SigningKey) -> dict:
    """What the seal report and each record say of the signature (DA/T 46 电子签名: 规则, 签名人, 证书, 算法)."""
    return {"规则": "PAdES B-B（ETSI EN 319 142，PDF 增量更新）；包标签清单 CMS 分离式签名（RFC 5652）",
            "签名人": key.subject, "证书": f"SHA-256 {key.fingerprint}", "算法": "sha256WithRSAEncryption"
            if key.signer.signing_cert.public_key.algorithm == "rsa" else
            f"sha256 / {key.signer.signing_cert.public_key.algorithm}",
            "时间戳": "无（离线，时间戳服务不可达）"}


def sign_bag(bag: Path, key: SigningKey) -> Path:
    """Write the bag's detached signature over its sha256 tag manifest (after bagit wrote the manifests)."""
    target = bag / TAG_SIGNATURE
    sign_detached(bag / SIGNED_TAG_MANIFEST, target, key)
    return target


def check_bag(bag: Path, trusted: dict[str, str]) -> SignatureCheck:
    return check_detached(bag / SIGNED_TAG_MANIFEST, bag / TAG_SIGNATURE, trusted)


def signing_key_for_seal() -> SigningKey:
    """The key a seal signs with (created on first use, under a lock in the keys folder so that two seals
    starting together make one key); its notes are said on the console."""
    from filelock import FileLock

    folder = keys_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / ".keys.lock")):
        key = load_signing_key(create=True)
    for note in key.notes:
        log.warning(note)
    return key
