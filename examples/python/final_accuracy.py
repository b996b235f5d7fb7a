"""Mean final test accuracy per augmentation and test split, straight from the repository
with tcbench_rs into pandas (the same numbers as `report`'s, averaged over the other
hyper-parameters). Run from the project root: python examples/python/final_accuracy.py"""
import tcbench_rs

repo = "examples/campaign"
runs = tcbench_rs.runs(repo).to_pandas()
final = tcbench_rs.metrics(
    repo, names=["acc"], contexts=["test-human", "test-script"]
).to_pandas()  # value="last": each trace's value at its highest step

table = final.merge(runs, left_on="run.hash", right_on="hash").pivot_table(
    index="hparams.aug_name", columns="metric.context.subset", values="value", aggfunc="mean"
)
print(table.round(2).to_string())
