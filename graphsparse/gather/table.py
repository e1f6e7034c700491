"""One (num_nodes, F) feature table and its three gather paths (zero-copy, conventional, on-device).

Zero-copy feature gathering after Min et al., "Large Graph Convolutional Network Training with
GPU-Oriented Data Communication Architecture" (VLDB 14(11), 2021; PyTorch-Direct, arXiv
2101.07956). Three placements of the features, one call ``gather(index, out=None, stream=None)``:

1. ``mode='zero_copy'``: the table stays in page-locked (pinned) host memory; GPU threads read the
   rows of a mini-batch themselves over PCIe (Triton kernel of :mod:`._triton`: 128-byte aligned
   lanes for rows >= 256 B, optional sorted ids, capped grid). No CPU gather, no staging copy.
2. ``mode='conventional'`` (the baseline, and the only real path on a machine without CUDA): the
   CPU gathers ``table[ids]`` with ``torch.index_select`` into a *reused* staging buffer (pinned
   when CUDA exists; a ring of ``num_buffers`` so that gathering batch ``i+1`` overlaps the copy of
   batch ``i``), optionally with sorted or de-duplicated ids, then copies it with
   ``non_blocking=True`` to the device and restores the caller's order there.
3. ``mode='device'``: the whole table is copied to GPU memory once (all-in-GPU, the upper bound).

Pinning needs CUDA: page-locking host memory is a CUDA driver service (``cudaHostRegister`` for a
table pinned in place, ``cudaHostAlloc`` for ``pin_memory=True``). Without CUDA ``pin='auto'``
leaves the table in ordinary pageable memory and the conventional CPU path is used; ``pin=True``
raises. ``mode='zero_copy'`` on a CPU-only machine runs the *same* Triton kernel through Triton's
interpreter on CPU tensors (slow, ~MB/s: for tests, never for speed).
"""
from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
import torch

__all__ = ["FeatureTable", "resolve_device", "triton_available", "GATHER_MODES"]

GATHER_MODES = ("auto", "zero_copy", "conventional", "device")
SUPPORTED_DTYPES = (torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int64, torch.int32)
ALIGN_MIN_ROW_BYTES = 256  # DGL applies the alignment shift from 256-byte rows on


def triton_available() -> bool:
    """True when ``import triton`` works (the zero-copy kernel needs it)."""
    try:
        import triton  # noqa: F401
    except Exception:  # pragma: no cover - depends on the installation
        return False
    return True


def resolve_device(device) -> torch.device:
    """``'auto'`` -> ``cuda`` when available else ``cpu``; refuse CUDA on a machine without it."""
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}") from err
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={str(device)!r} was requested but CUDA is not available here "
                             f"(torch {torch.__version__}, torch.cuda.is_available() is False); "
                             "use device='cpu' or 'auto'")
        if device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
    elif device.type != "cpu":
        raise ValueError(f"device must be a CPU or CUDA device, got {str(device)!r}")
    return device


def _as_table(table) -> torch.Tensor:
    if isinstance(table, np.ndarray):
        if not table.flags.c_contiguous:
            raise ValueError("table must be C-contiguous (pinning registers one contiguous range of host "
                             "memory); pass np.ascontiguousarray(table)")
        table = torch.from_numpy(table)
    if not isinstance(table, torch.Tensor):
        raise TypeError(f"table must be a torch.Tensor or numpy array, got {type(table).__name__}")
    if table.dim() not in (1, 2):
        raise ValueError(f"table must be 1-D or 2-D (num_nodes, F), got shape {tuple(table.shape)}")
    if table.dtype not in SUPPORTED_DTYPES:
        raise TypeError(f"table dtype must be one of {[str(d) for d in SUPPORTED_DTYPES]}, got {table.dtype}")
    if not table.is_contiguous():
        raise ValueError("table must be contiguous (pinning registers one contiguous range of host memory, "
                         "and the kernel reads rows of unit column stride); pass table.contiguous()")
    return table


class FeatureTable:
    """A (num_nodes, F) table gathered by row ids onto a device, zero-copy or conventionally.

    Parameters
    ----------
    table : torch.Tensor or np.ndarray, shape (num_nodes, F) or (num_nodes,)
        Contiguous host (or, with ``mode='device'``, any) tensor; fp32/fp16/bf16/fp64/int64/int32.
    device : 'auto', 'cpu', 'cuda' or 'cuda:N'
        Where gathered rows are returned (``'auto'``: CUDA when available).
    mode : 'auto', 'zero_copy', 'conventional' or 'device'
        Placement (module doc). ``'auto'`` is ``'zero_copy'`` on CUDA with Triton installed,
        otherwise ``'conventional'``.
    pin : 'auto', True or False
        Page-lock the host table (``'auto'``: when zero-copy on CUDA). Needs CUDA.
    copy : bool
        ``False`` pins the caller's memory in place (``cudaHostRegister``; the caller keeps ownership,
        :meth:`close` unregisters); ``True`` allocates a pinned copy.
    sort_ids, unique_ids : bool
        Gather in ascending id order (neighbouring reads; output keeps the caller's order), or gather
        each distinct id once and expand on the device (``unique_ids`` implies sorting).
    alignment : 'auto', 'aligned' or 'naive'
        128-byte lane alignment of the zero-copy kernel (``'auto'``: aligned for rows >= 256 bytes).
    max_programs : int or None
        Grid cap of the zero-copy kernel (``None``: 4 programs per SM on CUDA, one per tile on CPU).
    num_buffers : int
        Ring size of the reused output and staging buffers (2 = double buffering).
    reuse_output : bool
        ``gather(index)`` without ``out`` writes into the next ring buffer instead of a fresh tensor:
        faster, but the returned tensor is overwritten ``num_buffers`` gathers later.
    check_bounds : bool
        Range-check ids (one min/max per call; a device sync for CUDA ids). ``False`` is the trusted
        path for ids that were already checked (a validated sampler's output): an out-of-range id then
        reads outside the table in ``zero_copy`` mode (undefined behaviour, not an error).

    Attributes
    ----------
    stats : dict
        ``calls``, ``rows``, ``bytes`` gathered and host ``seconds`` spent in :meth:`gather`
        (exact for CPU paths; on CUDA the time to *queue* the work, which may finish later).

    Examples
    --------
    The CPU path (on a CUDA machine ``device='cuda'`` gathers zero-copy from pinned host memory):

    >>> import torch
    >>> from graphsparse.gather import FeatureTable
    >>> table = FeatureTable(torch.arange(12.0).view(6, 2), device="cpu")
    >>> table.mode
    'conventional'
    >>> table.gather(torch.tensor([4, 0, 4])).tolist()  # rows in the caller's order, repeats kept
    [[8.0, 9.0], [0.0, 1.0], [8.0, 9.0]]
    >>> table.stats["rows"], table.stats["bytes"]
    (3, 24)
    >>> table.gather(torch.tensor([6]))
    Traceback (most recent call last):
    ...
    ValueError: index holds node id 6 >= num_nodes=6
    """

    def __init__(self, table, device="auto", mode="auto", pin="auto", copy=False, sort_ids=False,
                 unique_ids=False, alignment="auto", max_programs=None, num_buffers=2,
                 reuse_output=False, check_bounds=True):
        table = _as_table(table)
        self.device = resolve_device(device)
        if mode not in GATHER_MODES:
            raise ValueError(f"mode must be one of {GATHER_MODES}, got {mode!r}")
        if alignment not in ("auto", "aligned", "naive"):
            raise ValueError(f"alignment must be 'auto', 'aligned' or 'naive', got {alignment!r}")
        if pin not in ("auto", True, False):
            raise ValueError(f"pin must be 'auto', True or False, got {pin!r}")
        if isinstance(num_buffers, bool) or not isinstance(num_buffers, numbers.Integral) or num_buffers < 1:
            raise ValueError(f"num_buffers must be an integer >= 1, got {num_buffers!r}")
        if max_programs is not None and (isinstance(max_programs, bool) or
                                         not isinstance(max_programs, numbers.Integral) or max_programs < 1):
            raise ValueError(f"max_programs must be None or an integer >= 1, got {max_programs!r}")
        cuda = self.device.type == "cuda"
        if mode == "auto":
            mode = "zero_copy" if cuda and triton_available() else "conventional"
        if mode == "zero_copy" and not triton_available():
            raise ImportError("mode='zero_copy' needs Triton: pip install 'triton>=3.0'")
        if pin is True and not torch.cuda.is_available():
            raise ValueError("pin=True needs CUDA: page-locking host memory is done by the CUDA driver "
                             "(cudaHostRegister / cudaHostAlloc) and torch.cuda.is_available() is False "
                             "here; use pin='auto' (pageable memory + the conventional CPU path)")
        if table.device.type != "cpu" and mode in ("zero_copy", "conventional"):
            raise ValueError(f"mode={mode!r} needs the table in host memory, got a {table.device.type} "
                             "tensor (use mode='device' for a table already on the GPU)")
        self.mode = mode
        self.sort_ids = bool(sort_ids) or bool(unique_ids)
        self.unique_ids = bool(unique_ids)
        self.alignment = alignment
        self.num_buffers = int(num_buffers)
        self.reuse_output = bool(reuse_output)
        self.check_bounds = bool(check_bounds)
        self.is_vector = table.dim() == 1
        self._registered_ptr = None
        self.num_rows = int(table.shape[0])
        host = table.view(-1, 1) if self.is_vector else table
        self.width = int(host.shape[1])
        self.dtype = host.dtype
        self.pinned = False
        want_pin = pin is True or (pin == "auto" and cuda and mode in ("zero_copy",))
        if want_pin and host.device.type == "cpu":
            host = self._pin(host, copy)
        self.host = host
        self.device_table = None
        if mode == "device":
            self.device_table = host.to(self.device, copy=False).contiguous()
        if max_programs is None and cuda:
            sms = torch.cuda.get_device_properties(self.device).multi_processor_count
            max_programs = 4 * sms
        self.max_programs = max_programs
        self._out_ring = []  # reused outputs (reuse_output / prefetch)
        self._staging_ring = []  # conventional path: (pinned staging, event)
        self._out_slot = 0
        self._staging_slot = 0
        self.stats = {"calls": 0, "rows": 0, "bytes": 0, "seconds": 0.0}

    # ------------------------------------------------------------------ pinning
    def _pin(self, host: torch.Tensor, copy: bool) -> torch.Tensor:
        if host.is_pinned():
            self.pinned = True
            return host
        if copy:
            pinned = torch.empty(host.shape, dtype=host.dtype, pin_memory=True)
            pinned.copy_(host)
            self.pinned = True
            return pinned
        nbytes = host.numel() * host.element_size()
        if nbytes == 0:
            return host
        cudart = torch.cuda.cudart()
        status = cudart.cudaHostRegister(host.data_ptr(), nbytes, 0)
        code = int(status.value) if hasattr(status, "value") else int(status)
        if code != 0:
            raise ValueError(f"cannot pin the table in place (cudaHostRegister returned {code}; the memory may "
                             "be read-only, file-backed on a non-tmpfs file system, or already registered); "
                             "pass copy=True to allocate a pinned copy")
        self._registered_ptr = host.data_ptr()
        self._keepalive = host
        self.pinned = True
        return host

    def close(self) -> None:
        """Unregister memory pinned in place and drop buffers (the table stays usable, unpinned)."""
        if self._registered_ptr is not None:
            torch.cuda.cudart().cudaHostUnregister(self._registered_ptr)
            self._registered_ptr = None
            self.pinned = False
        self._out_ring = []
        self._staging_ring = []

    def __del__(self):  # pragma: no cover - interpreter shutdown order
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(num_rows={self.num_rows}, "
                f"width={self.width}, dtype={self.dtype}, mode={self.mode!r}, device={str(self.device)!r}, "
                f"pinned={self.pinned})")

    @property
    def row_bytes(self) -> int:
        return self.width * self.host.element_size()

    @property
    def aligned(self) -> bool:
        """Whether the zero-copy kernel uses the 128-byte alignment shift for this table."""
        if self.alignment == "auto":
            return self.row_bytes >= ALIGN_MIN_ROW_BYTES
        return self.alignment == "aligned"

    # ------------------------------------------------------------------ input checks
    def _check_index(self, index) -> torch.Tensor:
        if isinstance(index, np.ndarray) or isinstance(index, (list, tuple, range)):
            try:
                array = np.asarray(index)
            except (ValueError, TypeError) as err:
                raise TypeError(f"index must be a 1-D sequence of integer node ids ({err})") from None
            if array.size == 0:
                array = array.astype(np.int64)
            if array.dtype.kind not in "iu":
                raise TypeError(f"index must hold integer node ids, got dtype {array.dtype}"
                                + (" (ids beyond the int64 range?)" if array.dtype == object else ""))
            if array.dtype == np.uint64:
                if array.size and int(array.max()) >= self.num_rows:
                    raise ValueError(f"index holds node id {int(array.max())} >= num_nodes={self.num_rows}")
                array = array.astype(np.int64)
            index = torch.from_numpy(np.ascontiguousarray(array))
        if not isinstance(index, torch.Tensor):
            raise TypeError(f"index must be a 1-D integer tensor, array or list, got {type(index).__name__}")
        if index.dtype not in (torch.int64, torch.int32):
            raise TypeError(f"index must hold integer node ids (torch.int64 or torch.int32), got {index.dtype}")
        if index.dim() != 1:
            raise ValueError(f"index must be 1-D, got shape {tuple(index.shape)}")
        if self.check_bounds and index.numel():
            low, high = torch.aminmax(index)
            low, high = int(low), int(high)
            if low < 0:
                raise ValueError(f"index holds negative node ids (min {low}); ids must be in [0, {self.num_rows})")
            if high >= self.num_rows:
                raise ValueError(f"index holds node id {high} >= num_nodes={self.num_rows}")
        return index

    def _check_out(self, out, n: int) -> torch.Tensor:
        shape = (n,) if self.is_vector else (n, self.width)
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"out must be a torch.Tensor, got {type(out).__name__}")
        if tuple(out.shape) != shape or out.dtype != self.dtype or out.device != self.device:
            raise ValueError(f"out must have shape {shape}, dtype {self.dtype} and device {self.device}, got "
                             f"shape {tuple(out.shape)}, dtype {out.dtype}, device {out.device}")
        if not out.is_contiguous():
            raise ValueError("out must be contiguous")
        return out.view(n, self.width)

    def _check_stream(self, stream):
        if stream is None:
            return None
        if self.device.type != "cuda":
            raise ValueError("stream must be None when gathering to the CPU (streams are a CUDA feature)")
        if not isinstance(stream, torch.cuda.Stream):
            raise TypeError(f"stream must be a torch.cuda.Stream, got {type(stream).__name__}")
        return stream

    # ------------------------------------------------------------------ buffers
    def next_buffer(self, n: int) -> torch.Tensor:
        """The next of the ``num_buffers`` reused output buffers, as an ``(n, F)`` view (grown as needed)."""
        if len(self._out_ring) < self.num_buffers:
            self._out_ring = [torch.empty((0, self.width), dtype=self.dtype, device=self.device)
                              for _ in range(self.num_buffers)]
        slot = self._out_slot
        self._out_slot = (slot + 1) % self.num_buffers
        buffer = self._out_ring[slot]
        if buffer.shape[0] < n:
            buffer = torch.empty((max(n, int(buffer.shape[0] * 1.25)), self.width), dtype=self.dtype,
                                 device=self.device)
            self._out_ring[slot] = buffer
        view = buffer[:n]
        return view.view(-1) if self.is_vector else view

    def _next_staging(self, n: int) -> torch.Tensor:
        """Conventional path: next pinned staging buffer, after the copy that last read it has finished."""
        if len(self._staging_ring) < self.num_buffers:
            self._staging_ring = [[torch.empty((0, self.width), dtype=self.dtype), None]
                                  for _ in range(self.num_buffers)]
        slot = self._staging_slot
        self._staging_slot = (slot + 1) % self.num_buffers
        entry = self._staging_ring[slot]
        if entry[1] is not None:
            entry[1].synchronize()  # the H2D copy that read this buffer is done
        if entry[0].shape[0] < n:
            entry[0] = torch.empty((max(n, int(entry[0].shape[0] * 1.25)), self.width), dtype=self.dtype,
                                   pin_memory=self.device.type == "cuda")
        return slot, entry[0][:n]

    # ------------------------------------------------------------------ gather
    def gather(self, index, out=None, stream=None) -> torch.Tensor:
        """Rows ``table[index]`` on ``self.device`` (shape ``(len(index), F)``, or ``(len(index),)``).

        ``out`` (optional) receives the rows; ``stream`` (CUDA only) is the stream the gather is
        queued on (default: the current stream); the caller synchronises with it before use.
        """
        index = self._check_index(index)
        stream = self._check_stream(stream)
        n = int(index.shape[0])
        if out is None:
            result = self.next_buffer(n) if self.reuse_output else torch.empty(
                (n,) if self.is_vector else (n, self.width), dtype=self.dtype, device=self.device)
        else:
            result = out
        out2d = self._check_out(result, n)
        if n == 0:
            return result
        started = time.perf_counter()
        if stream is not None:
            with torch.cuda.stream(stream):
                self._gather_into(index, out2d, stream)
        else:
            self._gather_into(index, out2d, torch.cuda.current_stream(self.device)
                              if self.device.type == "cuda" else None)
        stats = self.stats
        stats["calls"] += 1
        stats["rows"] += n
        stats["bytes"] += n * self.row_bytes
        stats["seconds"] += time.perf_counter() - started  # host time; CUDA work may still be queued
        return result

    def _order(self, index: torch.Tensor):
        """(ids to read, positions they go to or None, inverse for unique or None)."""
        if self.unique_ids:
            unique, inverse = torch.unique(index, sorted=True, return_inverse=True)
            return unique, None, inverse
        if self.sort_ids:
            ordered, perm = torch.sort(index)
            return ordered, perm, None
        return index, None, None

    def _gather_into(self, index, out2d, stream):
        if self.mode == "device":
            table = self.device_table
            torch.index_select(table, 0, index.to(table.device, non_blocking=True), out=out2d)
        elif self.mode == "conventional":
            self._gather_conventional(index, out2d, stream)
        else:
            self._gather_zero_copy(index, out2d)

    def _gather_conventional(self, index, out2d, stream):
        index = index.cpu() if index.device.type != "cpu" else index
        ids, perm, inverse = self._order(index)
        cuda = self.device.type == "cuda"
        if not cuda and perm is None and inverse is None:
            torch.index_select(self.host, 0, ids, out=out2d)  # straight into the (reused) output
            return
        slot, staging = self._next_staging(int(ids.shape[0]))
        torch.index_select(self.host, 0, ids, out=staging)
        if not cuda:
            if inverse is not None:
                torch.index_select(staging, 0, inverse, out=out2d)
            else:
                out2d.index_copy_(0, perm, staging)
            return
        if perm is None and inverse is None:
            out2d.copy_(staging, non_blocking=True)
        else:
            rows = staging.to(self.device, non_blocking=True)
            if inverse is not None:
                torch.index_select(rows, 0, inverse.to(self.device, non_blocking=True), out=out2d)
            else:
                out2d.index_copy_(0, perm.to(self.device, non_blocking=True), rows)
        event = torch.cuda.Event()
        event.record(stream)
        self._staging_ring[slot][1] = event

    def _gather_zero_copy(self, index, out2d):
        from ._triton import launch_gather

        device = self.device
        if device.type == "cpu":
            warnings.warn("mode='zero_copy' on the CPU runs the Triton kernel through its interpreter "
                          "(correct but ~MB/s); use mode='conventional' for speed", RuntimeWarning, stacklevel=4)
        index = index.to(device, non_blocking=True)
        ids, perm, inverse = self._order(index)
        aligned = self.aligned
        if inverse is not None:
            rows = torch.empty((ids.shape[0], self.width), dtype=self.dtype, device=device)
            launch_gather(self.host, ids, rows, aligned=aligned, max_programs=self.max_programs)
            torch.index_select(rows, 0, inverse, out=out2d)
        else:
            launch_gather(self.host, ids, out2d, pos=perm, aligned=aligned, max_programs=self.max_programs)

    # ------------------------------------------------------------------ pipelining
    def prefetch(self, index_batches):
        """Yield ``(index, rows)`` per batch, gathering batch ``i+1`` while the caller uses batch ``i``.

        On CUDA the gathers run on a side stream into the double buffers (the paper's producer /
        trainer split, inside one process); the yielded rows are ready on the caller's stream and
        stay valid until the caller asks for the next-but-``num_buffers - 1`` batch. On the CPU
        the gathers run in order (same buffers, no overlap).
        """
        if self.num_buffers < 2:
            raise ValueError("prefetch needs num_buffers >= 2 (double buffering)")
        cuda = self.device.type == "cuda"
        side = torch.cuda.Stream(self.device) if cuda else None
        iterator = iter(index_batches)
        pending = []  # (index, rows, ready event)

        def issue():
            try:
                index = next(iterator)
            except StopIteration:
                return False
            index = self._check_index(index)
            rows = self.next_buffer(int(index.shape[0]))
            if cuda:
                side.wait_stream(torch.cuda.current_stream(self.device))  # consumer done with this buffer
                with torch.cuda.stream(side):
                    self.gather(index, out=rows, stream=side)
                    event = torch.cuda.Event()
                    event.record(side)
                rows.record_stream(side)  # the ring buffer was allocated on the consumer's stream
            else:
                self.gather(index, out=rows)
                event = None
            pending.append((index, rows, event))
            return True

        issue()
        while pending:
            issue()
            index, rows, event = pending.pop(0)
            if event is not None:
                torch.cuda.current_stream(self.device).wait_event(event)
                rows.record_stream(torch.cuda.current_stream(self.device))
            yield index, rows
