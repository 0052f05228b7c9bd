"""PySpark's Python worker daemon, without Spark's own archives on the workers' import path.

Spark starts each executor's Python workers from a daemon (`python -m pyspark.daemon`) with
`pyspark.zip`, `py4j-*.zip` and the `spark-core` jar first on `PYTHONPATH`. Before every task a
worker calls `importlib.invalidate_caches()`, and on Python 3.11 that makes each of those archives'
importers read its whole directory again, in Python: about 7,000 entries, 90 ms of every task's
time on this machine (3.12 reads them lazily). A stage of 300 small tasks (ingest's parser over
10,000 landed .eml files) paid about 25 s for it.

When the archives are those of the pyspark package this interpreter has installed (pip's layout:
`pyspark/python/lib/*.zip`, `pyspark/jars/*.jar`), they add nothing: this daemon leaves them off
the path, and out of the importer cache, before anything imports pyspark, then runs PySpark's own
daemon. Archives of another Spark (a `SPARK_HOME` elsewhere), or a pyspark found only in them, leave
the path as it was. `jobs.runtime.build_session` names this module in `spark.python.daemon.module`
when Spark runs on this machine with this interpreter as its workers'.
"""

from __future__ import annotations

import os
import re
import sys
from importlib.machinery import PathFinder

# What Spark puts on its workers' path: PythonUtils.sparkPythonPath.
SPARK_ARCHIVE = re.compile(r"pyspark\.zip|py4j-.*-src\.zip|spark-core_.*\.jar")


def without_archives(path: list[str]) -> list[str]:
    """`path` without Spark's archives, when they lie in the pyspark package that imports from what
    is left (and py4j imports too); else `path` unchanged."""
    archives = [entry for entry in path if SPARK_ARCHIVE.fullmatch(os.path.basename(entry))]
    kept = [entry for entry in path if entry not in archives]
    pyspark, py4j = (PathFinder.find_spec(package, kept) for package in ("pyspark", "py4j"))
    if not archives or pyspark is None or pyspark.origin is None or py4j is None or py4j.origin is None:
        return path  # nothing to leave off, or no installed package (a namespace folder is not one)
    package_dir = os.path.dirname(os.path.realpath(pyspark.origin)) + os.sep
    if not all(os.path.realpath(entry).startswith(package_dir) for entry in archives):
        return path  # another Spark's archives: its pyspark is the one that matches its JVM
    return kept


def main() -> None:
    if "pyspark" not in sys.modules:  # else its package path already points into an archive
        kept = without_archives(sys.path)
        for entry in set(sys.path) - set(kept):
            sys.path_importer_cache.pop(entry, None)
        sys.path[:] = kept

    from pyspark import daemon  # imported after: from the installed package, not the archive

    daemon.manager()


if __name__ == "__main__":
    main()
