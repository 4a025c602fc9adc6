co = cohere.ClientV2("a4ug29bLo71Xgr91XF1zfnuSnsPUZ3Wxm1nS7SAQ")
