config :app, App.Vault,
  encryption_key: "s87N/xiq/ZJZMlSJJFLK+MtKR1XqlghyQ4ZpSvSvCAI="
