provider "azurerm" {
  features {}
  client_id     = "00000000-1111-2222-3333-444444444444"
  client_secret = "4xg5Q~kmXVcN1ZHiE1ef6u1q.31WiOVhDkZx6i7Q"
}
