public class Settings {
    public string ApiKey { get; set; }
    public string Password { get; set; } = string.Empty;
    public const string SecretSection = "Secrets";
}
