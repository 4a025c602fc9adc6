curl https://api.anthropic.com/v1/messages -H "x-api-key: sk-ant-api03-gESKE5FXtF0_I7W99sDymbFo1rjQzzBurTEtmGpialqnDaloogKbpLmiC82r52gYLJnNHZhoFzb2ro1646LcaTsoVMfUlAA"
