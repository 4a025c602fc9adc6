def token = "2357bc09581524b7ca3214571bfbcaea49"
