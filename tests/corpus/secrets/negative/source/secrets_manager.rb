class SecretsManager
  def fetch(name)
    client.get_secret_value(secret_id: name).secret_string
  end
end
