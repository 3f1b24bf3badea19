"""Files on cases: kept once by SHA-256 outside the database, attached and removed by events.

:class:`FileStore` (``storage.py``) keeps content by hash, written to a temporary file, fsynced
and renamed into place, within a size limit; :func:`detect` (``kinds.py``) says from the content
alone whether a file is a PDF, DOCX, XLSX, JPEG or PNG and refuses anything else;
:func:`clean_name` (there too) makes the name it is offered under harmless;
:class:`CaseFiles` (``case_files.py``) attaches, removes and lists a case's files and its
comments, each change one transaction with its event on the case's chain, shown by the rules of
``access.py`` (a file is seen by whoever may see the data it belongs to).
A signed PDF coming back is kept only once :class:`SignatureChecker` (``signatures.py``) found its
signatures intact, covering the whole file and made with a certificate of a trusted root, valid
when it signed; ``signed.py`` says what its ``document_signed`` event records.
A form's file field names a file uploaded for its task; :func:`task_reference`
(``task_files.py``) checks it at completion and gives the full reference the data keeps.
Verification re-hashes the kept content through :meth:`FileStore.check`
(:func:`engine.audit.verify_all` takes it as ``stored_file``).
"""
from engine.files.case_files import CaseFiles, file_dict
from engine.files.kinds import ACCEPTED, KINDS, Kind, Refused, clean_name, detect
from engine.files.signatures import SignatureChecker, SignatureReport, Signer, TrustRootsError, load_trust_roots
from engine.files.storage import FileStore, Received
from engine.files.task_files import Unusable, full_reference, task_reference

__all__ = ["CaseFiles", "file_dict", "ACCEPTED", "KINDS", "Kind", "Refused", "detect", "clean_name", "FileStore",
           "Received", "SignatureChecker", "SignatureReport", "Signer", "TrustRootsError", "load_trust_roots",
           "Unusable", "full_reference", "task_reference"]
