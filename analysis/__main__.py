"""``python -m analysis``: see ``analysis.cli``."""
import os
import sys

# The command's matrix products are small (a few dozen columns): BLAS threads only contend for
# the cores (measured 2.6 s vs 2.1 s at 1M responses on 2 busy cores). One thread unless the
# caller chose otherwise; set before numpy loads BLAS. Results do not depend on it.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from .cli import main  # after the thread settings

if __name__ == "__main__":
    sys.exit(main())
