package web_test

func observeError(endpoint string, status int, body []byte) {}
