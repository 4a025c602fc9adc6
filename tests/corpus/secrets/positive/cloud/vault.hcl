vault {
  address = "https://vault.acme.internal:8200"
  token   = "hvs._jSkWP0DGIapeMoEsO05h_7lBQqfEdzjVJzMpn1fYCRyrqpgPm-u1Z9k1vdk5f2nGNvn2a7AH1xxVGj6dQrR4xKwXc"
}
