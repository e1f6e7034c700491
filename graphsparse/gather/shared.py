"""One feature table in shared memory, mapped by every process (DDP ranks read one copy, not N).

Rank 0 (or any single creator) calls :meth:`SharedTable.create`, fills the tensor, and the other
ranks call :meth:`SharedTable.attach` after a barrier; all of them map the same pages of a file in
``/dev/shm`` (tmpfs: memory, not disk) with ``MAP_SHARED``, so a write by one process is seen by
all and the table costs its size once. On CUDA each rank may then pin the mapping in place
(``FeatureTable(shared.tensor, copy=False)`` -> ``cudaHostRegister``), as DGL does for its
shared-memory graphs.
"""
from __future__ import annotations

import math
import numbers
import os

import torch

__all__ = ["SharedTable", "default_shm_dir"]


def default_shm_dir() -> str:
    """``/dev/shm`` when it exists (tmpfs), else the temp folder."""
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        return "/dev/shm"
    import tempfile

    return tempfile.gettempdir()


def _check_shape_dtype(shape, dtype) -> tuple:
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"shape must be a tuple of non-negative ints, got {type(shape).__name__}") from None
    if not dims or any(isinstance(d, bool) or not isinstance(d, numbers.Integral) for d in dims):
        raise TypeError(f"shape must be a non-empty tuple of non-negative ints, got {shape!r}")
    if any(int(d) < 0 for d in dims):
        raise ValueError(f"shape must hold non-negative sizes, got {tuple(int(d) for d in dims)}")
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype, got {type(dtype).__name__} {dtype!r}")
    return tuple(int(d) for d in dims)


class SharedTable:
    """A ``(num_rows, width)`` tensor over a shared-memory file. Use :meth:`create` / :meth:`attach`.

    Parameters
    ----------
    path : str
        The shared file (``/dev/shm/<name>``); :meth:`create` and :meth:`attach` build it from a name.
    shape : tuple of int
        Shape of the tensor.
    dtype : torch.dtype
        Its dtype.
    owner : bool
        Whether this process created the file (and should :meth:`unlink` it).

    Attributes
    ----------
    tensor : torch.Tensor
        The mapped tensor: a write by one process is seen by every process that mapped it.

    Examples
    --------
    >>> import os
    >>> from graphsparse.gather import SharedTable
    >>> name = f"graphsparse-doc-{os.getpid()}"
    >>> creator = SharedTable.create(name, (4, 3))  # rank 0
    >>> _ = creator.tensor.fill_(2.0)
    >>> reader = SharedTable.attach(name, (4, 3))  # another rank, after a barrier
    >>> float(reader.tensor.sum()), creator.owner, reader.owner
    (24.0, True, False)
    >>> creator.tensor[0, 0] = 7.0
    >>> float(reader.tensor[0, 0])  # one copy of the pages, shared
    7.0
    >>> creator.unlink()
    """

    def __init__(self, path: str, shape, dtype, owner: bool):
        self.path = path
        self.shape = tuple(int(s) for s in shape)
        self.dtype = dtype
        self.owner = owner
        numel = math.prod(self.shape)
        flat = torch.from_file(path, shared=True, size=numel, dtype=dtype)
        self.tensor = flat.view(self.shape)

    @staticmethod
    def _path(name: str) -> str:
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__}")
        if not name or os.sep in name or name in (".", "..") or "\0" in name:
            raise ValueError(f"name must be a plain file name (no '{os.sep}'), got {name!r}")
        return os.path.join(default_shm_dir(), name)

    @classmethod
    def create(cls, name: str, shape, dtype=torch.float32) -> "SharedTable":
        """Create (or truncate) the shared file ``/dev/shm/<name>`` sized for ``shape`` (zero-filled)."""
        path = cls._path(name)
        shape = _check_shape_dtype(shape, dtype)
        numel = math.prod(shape)
        itemsize = torch.empty(0, dtype=dtype).element_size()
        with open(path, "wb") as handle:
            handle.truncate(numel * itemsize)
        return cls(path, shape, dtype, owner=True)

    @classmethod
    def attach(cls, name: str, shape, dtype=torch.float32) -> "SharedTable":
        """Map an existing shared file created by :meth:`create` (same shape and dtype)."""
        path = cls._path(name)
        if not os.path.exists(path):
            raise FileNotFoundError(f"no shared table {path!r}: create it first (rank 0), then barrier")
        shape = _check_shape_dtype(shape, dtype)
        numel = math.prod(shape)
        itemsize = torch.empty(0, dtype=dtype).element_size()
        size = os.path.getsize(path)
        if size != numel * itemsize:
            raise ValueError(f"shared table {path!r} holds {size} bytes, expected {numel * itemsize} "
                             f"for shape {tuple(shape)} and dtype {dtype}")
        return cls(path, shape, dtype, owner=False)

    def unlink(self) -> None:
        """Remove the shared file (mappings stay valid until every process drops them)."""
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass

    def __repr__(self) -> str:
        return f"SharedTable(path={self.path!r}, shape={self.shape}, dtype={self.dtype}, owner={self.owner})"
