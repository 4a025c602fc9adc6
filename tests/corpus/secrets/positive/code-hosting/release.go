package main

const releaseToken = "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"

func main() { upload(releaseToken) }
