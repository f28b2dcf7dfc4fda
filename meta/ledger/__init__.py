"""What a run writes and reads back: results.tsv rows, events.jsonl, state.json, the summary
the proposer reads, spend per role (dollars and tokens), and the run-folder layout.

Pure: no sandbox, no models, no Docker, no SDKs. Appends are flushed and fsynced.
"""
