# Generates the .npy fixtures of tensorio's tests with NumPy (run: /usr/bin/python3 make_npy.py).
# Every array is np.arange(n).reshape(shape) cast to the dtype, so the test knows the values
# without reading NumPy's output.
import numpy as np
for dt in ["<f2", "<f4", "<f8", "<i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8"]:
    a = np.arange(24).reshape(2, 3, 4).astype(dt)
    np.save("arange_%s.npy" % dt.strip("<|"), a)
np.save("arange_f4_fortran.npy", np.asfortranarray(np.arange(24).reshape(2, 3, 4).astype("<f4")))
np.save("bool.npy", np.array([True, False, True]))
np.save("scalar_f4.npy", np.array(7.5, dtype="<f4"))
with open("arange_f4_v2.npy", "wb") as f:
    np.lib.format.write_array(f, np.arange(24).reshape(2, 3, 4).astype("<f4"), version=(2, 0))
np.save("big_endian.npy", np.arange(3).astype(">f4"))
