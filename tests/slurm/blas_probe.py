"""What a process that pins nothing computes with: the heterogeneous-cluster test
(tests/slurm/test_slurm.py) runs it in each step of a SLURM job on an emulated node, and on the
submit host under the workflow's pins.

Prints one JSON line: the step (the first argument), the node type and the OpenBLAS variables
of its environment, the kernel numpy's OpenBLAS loaded, and the sha256 of a matrix product.
"""

import hashlib
import json
import os
import sys

import numpy as np
from threadpoolctl import threadpool_info

VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def main() -> None:
    generator = np.random.default_rng(0)
    left = generator.standard_normal((300, 300))
    right = generator.standard_normal((300, 300))
    product = left @ right
    report = {
        "step": sys.argv[1],
        "node_type": os.environ.get("SEEDLOCK_TEST_NODE_TYPE"),
        "environment": {name: os.environ.get(name) for name in VARIABLES},
        "kernels": sorted(
            {pool["architecture"] for pool in threadpool_info() if pool["user_api"] == "blas"}
        ),
        "product_sha256": hashlib.sha256(product.tobytes()).hexdigest(),
    }
    print(json.dumps(report, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
