import BlockcastPipelines

print("blockcast-bench \(BuildInfo.version)")
