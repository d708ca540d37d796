"""First-order linear recurrences y[t] = a*y[t-1] + b*x[t] over many series at once, without a time loop
per step: the time axis is cut into blocks and each block is solved in closed form with numpy.

Within a block starting at row s, y[s+k] = a^(k+1)*y[s-1] + b*a^k * sum_{j<=k} x[s+j]*a^(-j): a cumulative
sum, scaled. For non-negative inputs (RSI gains and losses, prices) every term is positive, so the
relative error is a few ulps per row of the block whatever the scale of a^(-j); the block length only
keeps a^(-L) far from overflow (below 2^30) and is a power of two, so that nearby windows (9 and 10)
share blocks and every series gets the same arithmetic alone or batched. Only the carry from one block
to the next is a Python loop (T/L steps of vector operations across all series).

Wilder's RSI averages (a = (n-1)/n, b = 1/n) and the EMA (a = 1 - alpha, b = alpha) are this recurrence.
A seed value v at row r is injected as x[r] = v/b with y = 0 before it, so the recurrence starts there.

    >>> import numpy as np
    >>> x = np.array([[3.0], [1.0], [1.0]])
    >>> decay_filter(x, np.array([0.5]), np.array([1.0])).ravel().tolist()
    [3.0, 2.5, 2.25]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# The largest factor a^(-j) a block may use: far inside float64's range for any input up to 1e250.
MAX_GROWTH = 2.0**30
MAX_BLOCK = 256


def block_length(decay: float) -> int:
    """Rows per block for a decay factor a in [0, 1): the largest power of two L <= MAX_BLOCK with
    a^(-(L-1)) <= MAX_GROWTH."""
    if not 0.0 <= decay < 1.0:
        raise ValueError(f"decay must be in [0, 1), got {decay}")
    if decay == 0.0:
        return 1
    most = min(MAX_BLOCK, 1 + int(np.floor(np.log(MAX_GROWTH) / -np.log(decay))))
    return 1 << (most.bit_length() - 1)


def decay_filter(x: FloatArray, decay: FloatArray, gain: FloatArray) -> FloatArray:
    """y[t] = decay*y[t-1] + gain*x[t] down each column of `x` (T x K), with y[-1] = 0.

    `decay` and `gain` are per column (K,). Columns are grouped by block length, so series with the
    same decay are solved together; the result for a column does not depend on the other columns.
    """
    memoryless = decay == 0.0  # y = b*x (a window of 1): no recurrence at all
    lengths = [block_length(float(a)) for a in decay]
    if len(set(lengths)) == 1 and not memoryless.any():
        return _blocked(x, decay, gain, lengths[0])
    out = np.empty(x.shape)
    if memoryless.any():
        out[:, memoryless] = x[:, memoryless] * gain[memoryless]
    for length in sorted(set(lengths)):
        columns = [c for c, size in enumerate(lengths) if size == length and not memoryless[c]]
        if not columns:
            continue
        out[:, columns] = _blocked(x[:, columns], decay[columns], gain[columns], length)
    return out


def _blocked(x: FloatArray, decay: FloatArray, gain: FloatArray, length: int) -> FloatArray:
    rows, width = x.shape
    blocks = -(-rows // length)
    padded = np.zeros((blocks * length, width))
    padded[:rows] = x
    cube = padded.reshape(blocks, length, width)
    steps = np.arange(length, dtype=np.float64)[:, None]
    power = decay[None, :] ** steps  # a^k, k = 0..L-1
    # y[s+k] = a^k * (b * sum_{j<=k} a^-j x[s+j] + a * carry), carry = the true y at the block's start - 1.
    local = np.cumsum(cube * (gain[None, :] * decay[None, :] ** -steps), axis=1)
    ends = local[:, -1, :] * power[-1]  # each block's end value, as if it started from 0
    carries = np.zeros((blocks, width))
    block_decay = decay**length
    for block in range(1, blocks):
        carries[block] = block_decay * carries[block - 1] + ends[block - 1]
    local += (carries * decay)[:, None, :]
    local *= power
    return local.reshape(blocks * length, width)[:rows]
