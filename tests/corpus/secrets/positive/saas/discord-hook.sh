curl -H 'Content-Type: application/json' -d '{"content":"hi"}' https://discord.com/api/webhooks/5769808336725485238/XswLv4e3mfI7CjBm80GdCuMw1xBwbRhqAka3IV-N87ckVUQnSVIngT-ED1ZuLIY475-e
