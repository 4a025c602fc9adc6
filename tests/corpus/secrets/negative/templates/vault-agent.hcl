template {
  contents = "{{ with secret \"kv/db\" }}{{ .Data.password }}{{ end }}"
}
