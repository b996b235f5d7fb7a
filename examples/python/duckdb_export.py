"""A DuckDB query over an export: the campaign exported once with
`tcbench-rs aimrepo export --aim-repo examples/campaign --output campaign-export`, then
each run's final test accuracy (the point at its highest step), averaged per flowpic_dim
and test split, joined with the runs on `run.hash` = `hash`. Run from the folder holding
campaign-export: python examples/python/duckdb_export.py"""
import duckdb

print(
    duckdb.sql(
        """
        WITH final AS (
            SELECT "run.hash", "metric.context.subset" AS split, value
            FROM 'campaign-export/metrics.parquet'
            WHERE "metric.name" = 'acc' AND "metric.context.subset" LIKE 'test-%'
            QUALIFY row_number() OVER (PARTITION BY "run.hash", split ORDER BY step DESC) = 1
        )
        SELECT r."hparams.flowpic_dim" AS flowpic_dim, split,
               count(*) AS runs, round(avg(value), 2) AS mean_acc
        FROM final JOIN 'campaign-export/runs.parquet' r ON final."run.hash" = r.hash
        GROUP BY ALL ORDER BY ALL
        """
    )
)
