"""PySpark's Python worker daemon, without Spark's own archives on the workers' import path.

Spark starts each executor's Python workers from a daemon (`python -m pyspark.daemon`) with
`pyspark.zip`, `py4j-*.zip` and the `spark-core` jar first on `PYTHONPATH`. Before every task a
worker calls `importlib.invalidate_caches()`, and on Python 3.11 that makes each of those archives'
importers read its whole directory again, in Python: about 7,000 entries, 90 ms of every task's
time on this machine (3.12 reads them lazily). A stage of 300 small tasks (ingest's parser over
10,000 landed .eml files) paid about 25 s for it.

When the interpreter also has `pyspark` and `py4j` installed (the project's virtualenv), the
archives add nothing: this daemon leaves them off the path, and out of the importer cache, before
anything imports pyspark, then runs PySpark's own daemon. Where pyspark is only in the archives
(an executor image without it), the path stays as it was. `jobs.runtime.build_session` names this
module in `spark.python.daemon.module` when Spark runs on this machine.
"""

from __future__ import annotations

import os
import re
import sys
from importlib.machinery import PathFinder

# What Spark puts on its workers' path: PythonUtils.sparkPythonPath.
SPARK_ARCHIVE = re.compile(r"pyspark\.zip|py4j-.*-src\.zip|spark-core_.*\.jar")


def without_archives(path: list[str]) -> list[str]:
    """`path` without Spark's archives, when `pyspark` and `py4j` import from what is left; else `path`."""
    kept = [entry for entry in path if not SPARK_ARCHIVE.fullmatch(os.path.basename(entry))]
    if all(PathFinder.find_spec(package, kept) is not None for package in ("pyspark", "py4j")):
        return kept
    return path


def main() -> None:
    kept = without_archives(sys.path)
    for entry in set(sys.path) - set(kept):
        sys.path_importer_cache.pop(entry, None)
    sys.path[:] = kept

    from pyspark import daemon  # imported after: from the installed package, not the archive

    daemon.manager()


if __name__ == "__main__":
    main()
