#!/bin/bash
# A parameter sweep split over a Slurm job array, then merged by a job that waits for it.
#
#   bash examples/slurm-sweep.sh sweep.yaml /shared/results     # submits both jobs
#
# Run by hand (not under Slurm), this script submits itself as an array of 3 tasks and a merge
# job that starts when every task has succeeded (--dependency=afterok). Each task runs the plans
# with index % 3 equal to its index into RESULTS/part-<i>-of-3/: the index and the count come
# from SLURM_ARRAY_TASK_ID (made 0-based with SLURM_ARRAY_TASK_MIN) and SLURM_ARRAY_TASK_COUNT,
# so no --shard flag is needed. --resume makes a requeued task go on from the runs its part
# already holds. RESULTS must be on a file system every node sees.
#
# The merge writes RESULTS/scoreboard.{json,csv,parquet,html}: the same bytes as the sweep run on
# one machine. It refuses parts of different sweeps and, unless --partial, a missing shard.
#
#SBATCH --job-name=ofi-sweep
#SBATCH --array=0-2
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --output=ofi-sweep-%A_%a.log
set -euo pipefail

SWEEP=${1:-sweep.yaml}
RESULTS=${2:-results}
OFI=${OFI:-npx --yes ofi-backtest}

if [ -z "${SLURM_JOB_ID:-}" ]; then
  # not under Slurm: submit the array and the merge that waits for all of it
  jid=$(sbatch --parsable "$0" "$SWEEP" "$RESULTS")
  sbatch --parsable --dependency="afterok:${jid}" --job-name=ofi-sweep-merge --output=ofi-sweep-merge-%j.log \
    --wrap "${OFI} scoreboard merge '${RESULTS}' --out '${RESULTS}'"
  echo "submitted sweep array ${jid} and its merge; results in ${RESULTS}"
  exit 0
fi

# one task of the array: its shard, on as many worker threads as it has CPUs
exec ${OFI} sweep "$SWEEP" --out "$RESULTS" --workers "${SLURM_CPUS_PER_TASK:-0}" --resume
