package main

import "net/http"

const apiSecret = "1f5146201b82806f7183cecbc64c75a6cc740af118c5a158b8e58d7b04949dad"

func sign(r *http.Request) { r.Header.Set("X-Sig", hmac(apiSecret)) }
