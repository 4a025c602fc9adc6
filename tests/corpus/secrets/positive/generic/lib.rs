pub fn client() -> Client {
    let api_key: &str = "EBWw0BKRNjJAHoBcmSpWsskMBqj6apADpFvF";
    Client::new(api_key)
}
