"""Triton kernel of the zero-copy row gather (PyTorch-Direct, Min et al., VLDB 2021).

The kernel reads ``table[index[i], :]`` for every ``i`` and writes it to ``out[pos[i], :]``
(``pos[i] = i`` unless a permutation is given). ``table`` may be a page-locked (pinned) *host*
tensor: Triton resolves a page-locked host pointer to its device-visible address (unified virtual
addressing), so GPU threads read the rows straight over PCIe -- no CPU gather, no staging copy.

1. Tiles. A program handles a tile of ``BLOCK_R`` rows x ``BLOCK_C`` lanes (the paper's 2-D
   thread block: ``blockDim.x`` lanes per row) and walks the row in ``n_chunks`` chunks.
2. Alignment (paper Sec. 4.2; DGL ``IndexSelectMultiKernelAligned``). With ``A = 128 / sizeof(T)``
   elements per 128-byte line and ``m = (address of the row) / sizeof(T) mod A``, lane ``j`` of
   chunk ``c`` reads column ``col = c * BLOCK_C + j - m``; lanes with ``col < 0`` or
   ``col >= width`` idle. Every chunk therefore starts on a 128-byte boundary, so one warp access
   is one 128-byte PCIe read instead of two partial ones. The naive variant uses ``m = 0``.
3. Capped grid: the host launches at most ``max_programs`` programs (a fraction of the SMs) and
   each program strides over the tiles (``tile = pid, pid + P, ...``), leaving SMs free for the
   training kernels that run concurrently on another stream.
4. Optional sorted ids: the host passes sorted ids plus ``pos`` (the inverse permutation), so
   neighbouring lanes read neighbouring rows while the output keeps the caller's order.

The same source runs compiled on CUDA (``triton.jit``) and, for tests on machines without a GPU,
through Triton's interpreter (``InterpretedFunction``) on CPU tensors, whose pointers are real
host addresses: the alignment arithmetic is exercised exactly as on the GPU.
"""
from __future__ import annotations

import os

import triton
import triton.language as tl
from triton.runtime.interpreter import InterpretedFunction

__all__ = ["gather_rows_kernel", "launch_gather", "LINE_BYTES", "interpreter_forced"]

LINE_BYTES = 128  # one PCIe / L2 read request


def _gather_rows(table_ptr, index_ptr, pos_ptr, out_ptr,
                 n_rows, width, table_stride, out_stride, addr_mod, n_chunks,
                 ALIGN: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_C: tl.constexpr,
                 ALIGNED: tl.constexpr, HAS_POS: tl.constexpr, HINT: tl.constexpr):
    pid = tl.program_id(0)
    num_programs = tl.num_programs(0)
    n_tiles = (n_rows + BLOCK_R - 1) // BLOCK_R  # (tl.cdiv is a jit function: unusable by the explicit interpreter)
    lanes = tl.arange(0, BLOCK_C)
    for tile in range(pid, n_tiles, num_programs):
        rows = tile * BLOCK_R + tl.arange(0, BLOCK_R)
        row_mask = rows < n_rows
        node = tl.load(index_ptr + rows, mask=row_mask, other=0).to(tl.int64)
        if HAS_POS:
            dst = tl.load(pos_ptr + rows, mask=row_mask, other=0).to(tl.int64)
        else:
            dst = rows.to(tl.int64)
        row_offset = node * table_stride  # element offset of the row from table_ptr
        if ALIGNED:
            shift = (addr_mod + row_offset) % ALIGN  # elements past the previous 128-B line
        else:
            shift = row_offset * 0
        line_start = row_offset - shift
        if HINT:  # table_ptr is 128-B aligned, so every line_start is a multiple of ALIGN
            line_start = tl.multiple_of(line_start, ALIGN)
        for chunk in range(0, n_chunks):
            col = chunk * BLOCK_C + lanes[None, :] - shift[:, None]
            mask = row_mask[:, None] & (col >= 0) & (col < width)
            src = table_ptr + (line_start[:, None] + chunk * BLOCK_C + lanes[None, :])
            values = tl.load(src, mask=mask)
            tl.store(out_ptr + dst[:, None] * out_stride + col, values, mask=mask)


gather_rows_kernel = triton.jit(_gather_rows)  # compiled on CUDA (or interpreted if TRITON_INTERPRET=1)
_interpreted_kernel = InterpretedFunction(_gather_rows)  # always the interpreter (CPU tensors)


def interpreter_forced() -> bool:
    """True when ``TRITON_INTERPRET=1`` is set (every Triton kernel then runs on the CPU)."""
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


def _next_pow2(value: int) -> int:
    return 1 << max(0, int(value) - 1).bit_length()


def launch_gather(table, index, out, *, pos=None, aligned=True, max_programs=None,
                  tile_elements=2048, num_warps=4):
    """Launch the gather kernel: ``out[pos[i]] = table[index[i]]`` (``pos`` defaults to ``i``).

    ``table`` is 2-D with unit column stride (pinned host or device memory); ``index`` and ``pos``
    1-D integer tensors and ``out`` a 2-D tensor, all on the kernel's device (CPU tensors run the
    interpreter). ``aligned`` selects the 128-byte alignment shift (step 2 of the module doc).
    ``max_programs`` caps the grid (step 3). Returns ``out``. No argument checks here: the
    callers in :mod:`graphsparse.gather.store` validate.
    """
    n_rows = int(index.shape[0])
    width = int(table.shape[1])
    if n_rows == 0 or width == 0:
        return out
    elem = table.element_size()
    align = LINE_BYTES // elem
    addr_mod = (table.data_ptr() % LINE_BYTES) // elem
    span = width + (align - 1 if aligned else 0)  # lanes needed when the row starts at shift m
    block_c = max(align, min(_next_pow2(span), max(align, 4096 // elem)))
    block_r = max(1, min(_next_pow2(n_rows), tile_elements // block_c))
    n_chunks = triton.cdiv(span, block_c)
    n_tiles = triton.cdiv(n_rows, block_r)
    grid = n_tiles if max_programs is None else max(1, min(n_tiles, int(max_programs)))
    on_cpu = table.device.type == "cpu" and out.device.type == "cpu" and index.device.type == "cpu"
    kernel = _interpreted_kernel if on_cpu else gather_rows_kernel
    hint = bool(aligned and addr_mod == 0)  # (a no-op hint under the interpreter, but the same code path)
    kernel[(grid,)](table, index, pos if pos is not None else index, out,
                    n_rows, width, table.stride(0), out.stride(0), addr_mod, n_chunks,
                    ALIGN=align, BLOCK_R=block_r, BLOCK_C=block_c,
                    ALIGNED=bool(aligned), HAS_POS=pos is not None, HINT=hint,
                    **({} if on_cpu else {"num_warps": num_warps}))
    return out
