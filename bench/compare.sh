#!/usr/bin/env bash
# bench/compare.sh OLD NEW: the change of every figure between two bench/run.sh
# result directories, each judged against the run-to-run noise the runs measured.
#
# For a figure paired with a baseline in both runs the ratio (figure / bound) is
# compared, since it cancels the machine's drift; otherwise the figure's value.
# Noise: the figure's coefficient of variation over repetitions in each run,
# combined as sqrt(cv_old^2 + cv_new^2); when the runs have no repetitions
# (--quick), the run-level noise, i.e. how much the same baseline differed between
# the separate gx_bench processes of one run; when neither exists, an assumed 5%
# (marked '?'). A change worse than max(3 x noise, 2%) is a REGRESSION; better by
# as much is an improvement. Baselines are shown (machine drift) but never flagged.
# docs/PERFORMANCE.md has the details.
# Exit: 0 no regression, 1 at least one regression, 2 bad usage or directory.
set -u
if [ $# -ne 2 ] || [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
  echo "usage: bench/compare.sh OLD_RESULTS_DIR NEW_RESULTS_DIR" >&2
  exit 2
fi
for d in "$1" "$2"; do
  [ -f "$d/run.json" ] || { echo "bench/compare.sh: $d is not a bench/run.sh result directory (no run.json)" >&2; exit 2; }
done
exec python3 "$(dirname "$0")/report.py" compare "$1" "$2"
