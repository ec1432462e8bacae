import BlockcastPipelines

print("blockcast \(BuildInfo.version)")
for line in BuildInfo.libraryLines { print(line) }
