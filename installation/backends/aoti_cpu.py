"""A compiled package's CPU model run through its C interface, without the interpreter lock.

torch's package loader (`aoti_load_package`) holds the interpreter lock for the whole run of a
graph: a 50 ms frame kept the display loop, the controls and every other Python thread of the
show waiting for those 50 ms (measured: a thread counting in Python got 5 % of its idle count
while a compiled graph ran, 95 % while torch eager ran). The package's shared library has a C
interface (AOTInductor's model container), and ctypes lets go of the lock for the length of
each foreign call, so this runner calls that interface directly: the inputs are handed over as
tensor handles viewing our tensors' memory, and the output is copied out of the handle the
model returns.
"""

from __future__ import annotations

import ctypes
import functools
import tempfile
import threading
import zipfile
from pathlib import Path

import torch

_INT64_P = ctypes.POINTER(ctypes.c_int64)
_extracted = tempfile.TemporaryDirectory(prefix="installation-aoti-")  # the process's own copies


@functools.cache
def _shim() -> ctypes.CDLL:
    """torch's C shim for AOTInductor (tensor handles), in the library torch has loaded."""
    lib = ctypes.CDLL(str(Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"))
    lib.aoti_torch_create_tensor_from_blob.argtypes = [
        ctypes.c_void_p,
        ctypes.c_int64,
        _INT64_P,
        _INT64_P,
        ctypes.c_int64,
        ctypes.c_int32,
        ctypes.c_int32,
        ctypes.c_int32,
        ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.aoti_torch_get_data_ptr.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.aoti_torch_get_dim.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64)]
    lib.aoti_torch_get_sizes.argtypes = [ctypes.c_void_p, ctypes.POINTER(_INT64_P)]
    lib.aoti_torch_get_strides.argtypes = [ctypes.c_void_p, ctypes.POINTER(_INT64_P)]
    lib.aoti_torch_get_dtype.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int32)]
    lib.aoti_torch_delete_tensor_object.argtypes = [ctypes.c_void_p]
    for name in ("aoti_torch_dtype_float32", "aoti_torch_device_type_cpu"):
        getattr(lib, name).restype = ctypes.c_int32
    return lib


class CpuPackageRunner:
    """Runs the model of a .pt2 package on the CPU: `runner(*tensors)` -> the first output, as
    torch's loader does for our graphs (float32 inputs and output)."""

    def __init__(self, package: Path) -> None:
        self._model = _library(package.resolve())
        self._torch = _shim()
        self._float32 = self._torch.aoti_torch_dtype_float32()
        self._cpu = self._torch.aoti_torch_device_type_cpu()
        self._container = ctypes.c_void_p()
        self._check(
            self._model.AOTInductorModelContainerCreateWithDevice(
                ctypes.byref(self._container), ctypes.c_size_t(1), b"cpu", None
            ),
            "create the model",
        )
        count = ctypes.c_size_t()
        self._check(
            self._model.AOTInductorModelContainerGetNumOutputs(self._container, ctypes.byref(count)), "count"
        )
        self._outputs = count.value

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        handles = (ctypes.c_void_p * len(inputs))()
        for i, tensor in enumerate(inputs):
            if tensor.dtype != torch.float32 or tensor.device.type != "cpu" or not tensor.is_contiguous():
                raise ValueError("inputs must be contiguous float32 CPU tensors")
            sizes = (ctypes.c_int64 * tensor.ndim)(*tensor.shape)
            strides = (ctypes.c_int64 * tensor.ndim)(*tensor.stride())
            handle = ctypes.c_void_p()
            self._check(
                self._torch.aoti_torch_create_tensor_from_blob(
                    ctypes.c_void_p(tensor.data_ptr()),
                    tensor.ndim,
                    sizes,
                    strides,
                    0,
                    self._float32,
                    self._cpu,
                    0,
                    ctypes.byref(handle),
                ),
                "hand over an input",
            )
            handles[i] = handle
        outputs = (ctypes.c_void_p * self._outputs)()
        # The model takes the input handles (and deletes them); the output handles are ours.
        self._check(
            self._model.AOTInductorModelContainerRun(
                self._container,
                handles,
                ctypes.c_size_t(len(inputs)),
                outputs,
                ctypes.c_size_t(self._outputs),
                None,
                None,
            ),
            "run",
        )
        try:
            return self._copy_out(outputs[0])
        finally:
            for handle in outputs:
                self._torch.aoti_torch_delete_tensor_object(handle)

    def _copy_out(self, handle: int) -> torch.Tensor:
        dim, sizes, strides = ctypes.c_int64(), _INT64_P(), _INT64_P()
        dtype, data = ctypes.c_int32(), ctypes.c_void_p()
        self._torch.aoti_torch_get_dim(handle, ctypes.byref(dim))
        self._torch.aoti_torch_get_sizes(handle, ctypes.byref(sizes))
        self._torch.aoti_torch_get_strides(handle, ctypes.byref(strides))
        self._torch.aoti_torch_get_dtype(handle, ctypes.byref(dtype))
        self._torch.aoti_torch_get_data_ptr(handle, ctypes.byref(data))
        out = torch.empty([sizes[i] for i in range(dim.value)], dtype=torch.float32)
        if dtype.value != self._float32 or [strides[i] for i in range(dim.value)] != list(out.stride()):
            raise RuntimeError("the compiled model's output is not a contiguous float32 tensor")
        ctypes.memmove(out.data_ptr(), data, out.numel() * out.element_size())
        return out

    def _check(self, status: int, what: str) -> None:
        if status != 0:
            raise RuntimeError(f"the compiled model failed to {what} (AOTInductor error {status})")

    def __del__(self) -> None:
        if getattr(self, "_container", None):
            self._model.AOTInductorModelContainerDelete(self._container)


_libraries: dict[tuple[Path, int, int], ctypes.CDLL] = {}
_libraries_lock = threading.Lock()


def _library(package: Path) -> ctypes.CDLL:
    """The package's model library, loaded once per process and file version. The dynamic
    loader never unloads these libraries (measured: every load of a 20 MB graph, through torch's
    loader too, kept its 18 MB mapped after it was dropped), so a graph the backend unloads and
    loads again must find the copy it loaded before, or a show switching levels for weeks would
    grow by a graph per switch."""
    stat = package.stat()
    key = (package, stat.st_mtime_ns, stat.st_size)
    with _libraries_lock:
        if key not in _libraries:
            folder = tempfile.mkdtemp(prefix=package.stem[:40], dir=_extracted.name)
            with zipfile.ZipFile(package) as archive:
                libraries = [n for n in archive.namelist() if n.endswith(".so")]
                if len(libraries) != 1:
                    raise RuntimeError(f"{package.name} holds {len(libraries)} libraries, expected one")
                _libraries[key] = ctypes.CDLL(archive.extract(libraries[0], folder))
        return _libraries[key]
