"""Positive corpus files: each holds at least one FAKE credential."""
from fakes import *  # noqa: F401,F403


def cloud():
    kid, sec = aws_id(), aws_secret()
    w("positive/cloud/aws-credentials.ini",
      "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
      "region = eu-west-1\n\n[ci]\nregion = us-east-1\n" % (kid, sec))
    w("positive/cloud/deploy.env",
      "# deployment settings\nAWS_REGION=eu-central-1\n"
      "AWS_SECRET_ACCESS_KEY=%s\nBUCKET=acme-releases\n" % aws_secret())
    w("positive/cloud/upload.py",
      "import boto3\n\n\ndef client():\n    return boto3.client(\n"
      "        \"s3\",\n        aws_access_key_id=\"%s\",\n"
      "        aws_secret_access_key=\"%s\",\n    )\n" % (aws_id(), aws_secret()))
    w("positive/cloud/main.tf",
      "provider \"aws\" {\n  region     = \"us-west-2\"\n"
      "  access_key = \"%s\"\n  secret_key = \"%s\"\n}\n\n"
      "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"acme-logs\"\n}\n"
      % (aws_id(), aws_secret()))
    w("positive/cloud/session.sh",
      "#!/bin/sh\n# temporary credentials from sts assume-role\n"
      "export AWS_ACCESS_KEY_ID=%s\n" % aws_id("ASIA"))
    w("positive/cloud/terraform.tfvars",
      "region = \"eu-west-1\"\ninstance_type = \"t3.micro\"\n"
      "aws_access_key = \"%s\"\n" % aws_id())
    sa_key = pem_key("rsa")
    w("positive/cloud/gcp-service-account.json", json.dumps({
        "type": "service_account", "project_id": "acme-prod-31337",
        "private_key_id": hexs(40), "private_key": sa_key,
        "client_email": "deployer@acme-prod-31337.iam.gserviceaccount.com",
        "client_id": digits(21),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token"}, indent=2) + "\n")
    w("positive/cloud/maps.js",
      "const map = new google.maps.Map(el, { zoom: 8 });\n"
      "const MAPS_KEY = '%s';\nloadScript(`https://maps.googleapis.com/maps/"
      "api/js?key=${MAPS_KEY}`);\n" % gcp_api_key())
    w("positive/cloud/gemini.ipynb", notebook([
        "import google.generativeai as genai",
        "genai.configure(api_key=\"%s\")\nmodel = genai.GenerativeModel("
        "\"gemini-1.5-flash\")" % gcp_api_key()]))
    w("positive/cloud/oauth-client.json", json.dumps({"installed": {
        "client_id": digits(12) + "-" + pick(string.ascii_lowercase +
                                             string.digits, 32) +
        ".apps.googleusercontent.com",
        "client_secret": "GOCSPX-" + pick(B64URL, 28),
        "redirect_uris": ["http://localhost"]}}, indent=2) + "\n")
    w("positive/cloud/appsettings.json", json.dumps({
        "Logging": {"LogLevel": {"Default": "Information"}},
        "ConnectionStrings": {"Storage":
                              "DefaultEndpointsProtocol=https;AccountName="
                              "acmestore;AccountKey=%s;EndpointSuffix="
                              "core.windows.net" % azure_storage_key()}},
        indent=2) + "\n")
    w("positive/cloud/azure.env",
      "AZURE_TENANT_ID=%s\nAZURE_CLIENT_ID=%s\nAZURE_CLIENT_SECRET=%s\n"
      % (uuid.UUID(int=R.getrandbits(128)), uuid.UUID(int=R.getrandbits(128)),
         azure_client_secret()))
    w("positive/cloud/storage.py",
      "from azure.storage.blob import BlobServiceClient\n\n"
      "ACCOUNT = \"acmestore\"\nAZURE_STORAGE_KEY = \"%s\"\n"
      "svc = BlobServiceClient(f\"https://{ACCOUNT}.blob.core.windows.net\","
      " credential=AZURE_STORAGE_KEY)\n" % azure_storage_key())
    w("positive/cloud/servicebus.cs",
      "var cs = \"Endpoint=sb://acme.servicebus.windows.net/;"
      "SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=%s\";\n"
      "var client = new ServiceBusClient(cs);\n" % b64(32))
    w("positive/cloud/doctl-config.yaml",
      "access-token: dop_v1_%s\ncontext: default\noutput: text\n" % hexs(64))
    w("positive/cloud/alibaba.properties",
      "aliyun.oss.endpoint=oss-cn-hangzhou.aliyuncs.com\n"
      "aliyun.access-key-id=LTAI%s\n" % alnum(20))
    w("positive/cloud/ibm.env",
      "IBMCLOUD_API_KEY=%s\nIBMCLOUD_REGION=us-south\n" % pick(B64URL, 44))
    w("positive/cloud/cloudflare.toml",
      "[cloudflare]\nzone = \"acme.dev\"\napi_token = \"%s\"\n"
      % pick(B64URL, 40))
    w("positive/cloud/heroku-netrc",
      "machine api.heroku.com\n  login dev@acme.dev\n  password %s\n"
      "machine git.heroku.com\n  login dev@acme.dev\n  password %s\n"
      % (uuid.UUID(int=R.getrandbits(128)), uuid.UUID(int=R.getrandbits(128))))
    w("positive/cloud/vault.hcl",
      "vault {\n  address = \"https://vault.acme.internal:8200\"\n"
      "  token   = \"hvs.%s\"\n}\n" % pick(B64URL, 90))
    w("positive/cloud/databricks.cfg",
      "[DEFAULT]\nhost = https://adb-1234.5.azuredatabricks.net\n"
      "token = dapi%s\n" % hexs(32))
    w("positive/cloud/oracle-oci.env",
      "OCI_CLI_AUTH_TOKEN=%s\nOCI_REGION=eu-frankfurt-1\n" % password(20))


def code_hosting():
    w("positive/code-hosting/git-push.sh",
      "#!/bin/bash\nset -e\nGITHUB_TOKEN=%s\n"
      "git push https://x-access-token:$GITHUB_TOKEN@github.com/acme/app.git\n"
      % github())
    w("positive/code-hosting/hosts.yml",
      "github.com:\n    user: acme-bot\n    oauth_token: %s\n"
      "    git_protocol: https\n" % github("gho"))
    w("positive/code-hosting/release.go",
      "package main\n\nconst releaseToken = \"github_pat_%s_%s\"\n\n"
      "func main() { upload(releaseToken) }\n" % (alnum(22), alnum(59)))
    w("positive/code-hosting/app-install.py",
      "# installation token minted for the deploy bot\n"
      "INSTALLATION_TOKEN = \"%s\"\n" % github("ghs"))
    w("positive/code-hosting/.npmrc",
      "registry=https://registry.npmjs.org/\n"
      "//registry.npmjs.org/:_authToken=%s\n" % npm())
    w("positive/code-hosting/publish.yml",
      "name: publish\non: push\njobs:\n  publish:\n    runs-on: ubuntu-latest\n"
      "    steps:\n      - uses: actions/checkout@v4\n      - run: npm publish\n"
      "        env:\n          NODE_AUTH_TOKEN: %s\n" % npm())
    w("positive/code-hosting/.pypirc",
      "[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\n"
      "password = pypi-AgEIcHlwaS5vcmc%s\n" % pick(B64URL, 140))
    w("positive/code-hosting/.gitlab-ci.yml",
      "stages: [deploy]\ndeploy:\n  stage: deploy\n  script:\n"
      "    - curl --header \"PRIVATE-TOKEN: glpat-%s\" "
      "https://gitlab.com/api/v4/projects\n" % pick(B64URL, 20))
    w("positive/code-hosting/runner-config.toml",
      "concurrent = 2\n[[runners]]\n  name = \"build-1\"\n"
      "  url = \"https://gitlab.com/\"\n  token = \"glrt-%s\"\n"
      "  executor = \"docker\"\n" % pick(B64URL, 20))
    w("positive/code-hosting/docker-config.json", json.dumps({"auths": {
        "https://index.docker.io/v1/": {"auth": base64.b64encode(
            ("acmebot:" + password()).encode()).decode()}}}, indent=1) + "\n")
    w("positive/code-hosting/docker-login.sh",
      "#!/bin/sh\necho \"$0: logging in\"\n"
      "docker login -u acmebot -p dckr_pat_%s\n" % pick(B64URL, 27))
    w("positive/code-hosting/circleci.env",
      "CIRCLE_TOKEN=CCIPAT_%s_%s\n" % (alnum(22), hexs(40)))
    w("positive/code-hosting/Gemfile.credentials",
      "---\n:rubygems_api_key: rubygems_%s\n" % hexs(48))
    w("positive/code-hosting/nuget.config",
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n"
      "  <apikeys>\n    <add key=\"https://www.nuget.org/api/v2/package\" "
      "value=\"oy2%s\" />\n  </apikeys>\n</configuration>\n"
      % pick(string.ascii_lowercase + string.digits, 43))
    w("positive/code-hosting/Jenkinsfile",
      "pipeline {\n  agent any\n  environment {\n"
      "    SONAR_TOKEN = 'squ_%s'\n  }\n  stages {\n    stage('scan') {\n"
      "      steps { sh 'sonar-scanner' }\n    }\n  }\n}\n" % hexs(40))
    w("positive/code-hosting/git-credentials",
      "https://acme-bot:%s@github.com\n" % github())
    w("positive/code-hosting/bitbucket-pipelines.yml",
      "pipelines:\n  default:\n    - step:\n        script:\n"
      "          - export BB_APP_PASSWORD=ATBB%s\n" % pick(ALNUM, 32))


def saas():
    w("positive/saas/slack_notify.py",
      "from slack_sdk import WebClient\n\n"
      "client = WebClient(token=\"%s\")\n"
      "client.chat_postMessage(channel=\"#deploys\", text=\"done\")\n"
      % slack_bot())
    w("positive/saas/alerts.yaml",
      "alerting:\n  slack:\n    webhook_url: %s\n    channel: '#ops'\n"
      % slack_webhook())
    w("positive/saas/slack-user.env", "SLACK_USER_TOKEN=%s\n" % slack_user())
    w("positive/saas/billing.rb",
      "require 'stripe'\n\nStripe.api_key = '%s'\n\n"
      "def charge(amount)\n  Stripe::Charge.create(amount: amount, "
      "currency: 'eur')\nend\n" % stripe())
    w("positive/saas/stripe-test.ts",
      "import Stripe from 'stripe';\n\n"
      "export const stripe = new Stripe('%s', { apiVersion: '2024-06-20' });\n"
      % stripe("sk_test"))
    w("positive/saas/restricted.env", "STRIPE_RESTRICTED=%s\n"
      % stripe("rk_live"))
    w("positive/saas/webhook.php",
      "<?php\n$endpoint_secret = 'whsec_%s';\n$payload = @file_get_contents("
      "'php://input');\n" % alnum(32))
    w("positive/saas/mailer.js",
      "const sgMail = require('@sendgrid/mail');\n"
      "sgMail.setApiKey('%s');\n" % sendgrid())
    w("positive/saas/twilio_sms.py",
      "from twilio.rest import Client\n\naccount_sid = \"AC%s\"\n"
      "auth_token = \"%s\"\nclient = Client(account_sid, auth_token)\n"
      % (hexs(32), hexs(32)))
    w("positive/saas/twilio-key.json", json.dumps({
        "twilio": {"sid": "SK" + hexs(32), "region": "ie1"}}) + "\n")
    w("positive/saas/mailgun.go",
      "package mail\n\nvar mg = mailgun.NewMailgun(\"mg.acme.dev\", "
      "\"key-%s\")\n" % hexs(32))
    w("positive/saas/shopify.env",
      "SHOPIFY_SHOP=acme.myshopify.com\nSHOPIFY_ACCESS_TOKEN=shpat_%s\n"
      % hexs(32))
    w("positive/saas/bot.py",
      "import discord\n\nclient = discord.Client(intents=discord.Intents."
      "default())\n\nclient.run('%s')\n" % discord_bot())
    w("positive/saas/telegram_bot.py",
      "from telegram.ext import Application\n\n"
      "app = Application.builder().token(\"%s\").build()\n" % telegram())
    w("positive/saas/discord-hook.sh",
      "curl -H 'Content-Type: application/json' -d '{\"content\":\"hi\"}' "
      "https://discord.com/api/webhooks/%s/%s\n" % (digits(19),
                                                  pick(B64URL, 68)))
    w("positive/saas/square.properties",
      "square.environment=production\nsquare.access.token=EAAA%s\n"
      % pick(B64URL, 60))
    w("positive/saas/mailchimp.ini",
      "[mailchimp]\nlist = 7f3a9\nkey = %s-us14\n" % hexs(32))
    w("positive/saas/linear.env", "LINEAR_API_KEY=lin_api_%s\n" % alnum(40))
    w("positive/saas/notion.py",
      "from notion_client import Client\nnotion = Client(auth=\"ntn_%s%s\")\n"
      % (digits(11), alnum(35)))


def ai():
    w("positive/ai/chat.py",
      "from openai import OpenAI\n\nclient = OpenAI(api_key=\"%s\")\n"
      % openai_proj())
    w("positive/ai/.env.local",
      "NEXT_PUBLIC_APP_NAME=acme\nOPENAI_API_KEY=%s\n" % openai_legacy())
    w("positive/ai/agent.ipynb", notebook([
        "import os\nos.environ[\"ANTHROPIC_API_KEY\"] = \"%s\"" % anthropic(),
        "import anthropic\nclient = anthropic.Anthropic()"]))
    w("positive/ai/claude.ts",
      "import Anthropic from '@anthropic-ai/sdk';\n\n"
      "const anthropic = new Anthropic({\n  apiKey: '%s',\n});\n"
      % anthropic())
    w("positive/ai/hf_download.sh",
      "#!/bin/bash\nhuggingface-cli login --token %s\n"
      "huggingface-cli download meta-llama/Llama-3.1-8B\n" % hf())
    w("positive/ai/train.py",
      "from huggingface_hub import login\n\nlogin(\"%s\")\n" % hf())
    w("positive/ai/groq.env", "GROQ_API_KEY=gsk_%s\n" % alnum(52))
    w("positive/ai/replicate.js",
      "import Replicate from 'replicate';\nconst replicate = new Replicate({"
      " auth: 'r8_%s' });\n" % alnum(37))
    w("positive/ai/cohere.yaml",
      "providers:\n  cohere:\n    model: command-r-plus\n"
      "    api_key: %s\n" % alnum(40))
    w("positive/ai/mistral_client.py",
      "from mistralai import Mistral\n\nMISTRAL_API_KEY = \"%s\"\n"
      "client = Mistral(api_key=MISTRAL_API_KEY)\n" % alnum(32))
    w("positive/ai/deepseek.toml",
      "[llm]\nbase_url = \"https://api.deepseek.com\"\n"
      "api_key = \"sk-%s\"\n" % hexs(32))
    w("positive/ai/litellm-config.yaml",
      "model_list:\n  - model_name: gpt-4o\n    litellm_params:\n"
      "      model: openai/gpt-4o\n      api_key: %s\n"
      "  - model_name: grok\n    litellm_params:\n      model: xai/grok-2\n"
      "      api_key: xai-%s\n" % (openai_proj(), alnum(80)))
    w("positive/ai/perplexity.sh",
      "curl https://api.perplexity.ai/chat/completions \\\n"
      "  -H 'Authorization: Bearer pplx-%s' \\\n"
      "  -d @request.json\n" % alnum(48))
    w("positive/ai/langsmith.env", "LANGCHAIN_API_KEY=lsv2_pt_%s_%s\n"
      % (hexs(32), hexs(10)))
    w("positive/ai/openrouter.rs",
      "const OPENROUTER_KEY: &str = \"sk-or-v1-%s\";\n" % hexs(64))
    w("positive/ai/together.ipynb", notebook([
        "from together import Together",
        "client = Together(api_key=\"%s\")" % hexs(64)]))
    w("positive/ai/wandb.netrc",
      "machine api.wandb.ai\n  login user\n  password %s\n" % hexs(40))


def private_keys():
    w("positive/private-keys/server.key", pem_key("rsa-pkcs1"))
    w("positive/private-keys/tls/key.pem", pem_key("rsa"))
    w("positive/private-keys/ec.pem", pem_key("ec"))
    w("positive/private-keys/ed25519.pem", pem_key("ed25519"))
    w("positive/private-keys/encrypted.pem", pem_key("encrypted"))
    w("positive/private-keys/dsa.key", pem_key("dsa"))
    priv, _ = ssh_key("ed25519")
    w("positive/private-keys/id_ed25519", priv)
    priv, _ = ssh_key("ecdsa")
    w("positive/private-keys/deploy_key", priv)
    w("positive/private-keys/backup.asc",
      "Comment: backup key, keep offline\n" + pgp_armour("PRIVATE"))
    body = b64(R.randint(300, 400))
    plines = [body[i:i + 64] for i in range(0, len(body), 64)]
    w("positive/private-keys/server.ppk",
      "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n"
      "Comment: ed25519-key-20261124\nPublic-Lines: 2\n%s\n%s\n"
      "Private-Lines: %d\n%s\nPrivate-MAC: %s\n"
      % (b64(36), b64(12), len(plines), "\n".join(plines), hexs(64)))
    w("positive/private-keys/age-key.txt",
      "# created: 2026-11-24T10:12:00Z\n# public key: age1%s\n%s\n"
      % (pick(BECH32, 58), age_secret()))
    w("positive/private-keys/wg0.conf",
      "[Interface]\nAddress = 10.8.0.2/24\nPrivateKey = %s\nDNS = 1.1.1.1\n\n"
      "[Peer]\nPublicKey = %s\nEndpoint = vpn.acme.dev:51820\n"
      "AllowedIPs = 0.0.0.0/0\n" % (wireguard_key(), wireguard_key()))
    key = pem_key("ec")
    w("positive/private-keys/signer.js",
      "const jwt = require('jsonwebtoken');\n\nconst PRIVATE_KEY = `%s`;\n\n"
      "module.exports = (claims) => jwt.sign(claims, PRIVATE_KEY, "
      "{ algorithm: 'ES256' });\n" % key)
    key = pem_key("rsa")
    w("positive/private-keys/github-app.py",
      "APP_ID = 123456\nAPP_KEY = (\n%s)\n" % "".join(
          "    \"%s\\n\"\n" % l for l in key.strip().split("\n")))
    w("positive/private-keys/jwk.json", json.dumps({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": hexs(8), "use": "sig",
        "x": b64url(32), "y": b64url(32), "d": b64url(32)}]}, indent=2) + "\n")
    key = pem_key("rsa")
    w("positive/private-keys/values.yaml",
      "ingress:\n  enabled: true\ntls:\n  key: |\n%s" % "".join(
          "    %s\n" % l for l in key.strip().split("\n")))


def connection_strings():
    w("positive/connection-strings/database.env",
      "DATABASE_URL=postgres://app:%s@db.internal:5432/app?sslmode=require\n"
      % urlpass())
    w("positive/connection-strings/settings.py",
      "DATABASES = {\n    'default': dj_database_url.parse(\n"
      "        'postgresql://django:%s@10.0.3.7/shop'\n    )\n}\n" % urlpass())
    w("positive/connection-strings/docker-compose.yml",
      "services:\n  api:\n    image: acme/api:1.4\n    environment:\n"
      "      - MONGO_URL=mongodb+srv://api:%s@cluster0.ab12c.mongodb.net/"
      "prod?retryWrites=true\n  cache:\n    image: redis:7\n" % urlpass())
    w("positive/connection-strings/worker.js",
      "const Redis = require('ioredis');\n"
      "const redis = new Redis('redis://:%s@cache.acme.internal:6379/0');\n"
      % urlpass())
    w("positive/connection-strings/celery.py",
      "broker_url = 'amqp://celery:%s@rabbit:5672/vhost'\n" % urlpass())
    w("positive/connection-strings/application.properties",
      "spring.datasource.url=jdbc:mysql://db:3306/shop?user=shop&password=%s"
      "\nspring.jpa.hibernate.ddl-auto=validate\n" % urlpass())
    w("positive/connection-strings/Web.config",
      "<configuration>\n  <connectionStrings>\n    <add name=\"Main\" "
      "connectionString=\"Server=sql01;Database=Shop;User Id=shop;"
      "Password=%s;\" />\n  </connectionStrings>\n</configuration>\n"
      % password())
    w("positive/connection-strings/mirror.sh",
      "#!/bin/sh\nwget -m https://mirror:%s@files.acme.dev/releases/\n"
      % urlpass())
    w("positive/connection-strings/mysql.go",
      "package db\n\nconst dsn = \"mysql://report:%s@tcp(10.1.1.5:3306)/"
      "reports\"\n" % urlpass())
    w("positive/connection-strings/sqlalchemy.cfg",
      "[db]\nurl = mysql+pymysql://etl:%s@warehouse:3306/dw\n" % urlpass())
    w("positive/connection-strings/pgpass-notes.md",
      "# Staging access\n\nConnect with:\n\n```\n"
      "psql \"postgresql://ops:%s@staging-db.acme.dev:5432/main\"\n```\n"
      % urlpass())


def jwts():
    w("positive/jwt/session.json", json.dumps({
        "access_token": jwt(), "token_type": "Bearer",
        "expires_in": 3600}, indent=2) + "\n")
    w("positive/jwt/requests.http",
      "GET https://api.acme.dev/v1/orders\nAccept: application/json\n"
      "Authorization: Bearer %s\n" % jwt("RS256"))
    w("positive/jwt/test_api.py",
      "import requests\n\nTOKEN = (\n    \"%s\"\n)\n\n"
      "def test_orders():\n    r = requests.get(URL, headers={"
      "\"Authorization\": f\"Bearer {TOKEN}\"})\n" % jwt())
    w("positive/jwt/supabase.ts",
      "import { createClient } from '@supabase/supabase-js';\n"
      "export const supabase = createClient('https://xyz.supabase.co', "
      "'%s');\n" % jwt(claims={"iss": "supabase", "role": "service_role",
                               "iat": 1760000000, "exp": 2075576000}))


def generic():
    w("positive/generic/config.ini",
      "[database]\nhost = db.acme.internal\nuser = app\npassword = %s\n"
      % password())
    w("positive/generic/settings.yaml",
      "server:\n  port: 8080\nauth:\n  jwt_secret: %s\n  issuer: acme\n"
      % password(32))
    w("positive/generic/secrets.json", json.dumps({
        "smtp": {"host": "smtp.acme.dev", "user": "mailer",
                 "password": password()}}, indent=2) + "\n")
    w("positive/generic/pyproject-app.toml",
      "[tool.app]\nname = \"acme\"\nsecret_key = \"%s\"\n" % password(40))
    w("positive/generic/.env",
      "APP_ENV=production\nSESSION_SECRET=%s\nPORT=3000\n" % alnum(48))
    w("positive/generic/django_settings.py",
      "DEBUG = False\nSECRET_KEY = 'django-insecure-%s'\n"
      "ALLOWED_HOSTS = ['acme.dev']\n"
      % pick(string.ascii_lowercase + string.digits + "!@#%^&*(-_=+)", 50))
    w("positive/generic/client.js",
      "const client = new ApiClient({\n  baseUrl: 'https://api.acme.dev',\n"
      "  apiKey: '%s',\n});\n" % alnum(32))
    w("positive/generic/main.go",
      "package main\n\nimport \"net/http\"\n\nconst apiSecret = \"%s\"\n\n"
      "func sign(r *http.Request) { r.Header.Set(\"X-Sig\", hmac(apiSecret)) }"
      "\n" % hexs(64))
    w("positive/generic/Config.java",
      "public final class Config {\n"
      "    private static final String DB_PASSWORD = \"%s\";\n"
      "    private static final int POOL = 8;\n}\n" % password())
    w("positive/generic/Settings.kt",
      "object Settings {\n    val apiToken: String = \"%s\"\n}\n" % alnum(40))
    w("positive/generic/database.yml",
      "production:\n  adapter: postgresql\n  database: shop\n"
      "  username: shop\n  password: \"%s\"\n" % password())
    w("positive/generic/config.php",
      "<?php\ndefine('DB_NAME', 'wordpress');\ndefine('DB_USER', 'wp');\n"
      "define('DB_PASSWORD', '%s');\n$table_prefix = 'wp_';\n" % password())
    w("positive/generic/Program.cs",
      "var options = new ClientOptions {\n    ClientSecret = \"%s\",\n"
      "    Scope = \"api\"\n};\n" % password(28))
    w("positive/generic/backup.sh",
      "#!/bin/bash\nexport RESTIC_PASSWORD='%s'\n"
      "restic -r s3:s3.amazonaws.com/acme-backup backup /srv\n" % password())
    w("positive/generic/mysql-dump.sh",
      "#!/bin/sh\nmysqldump -u root -p'%s' shop > shop.sql\n" % password())
    w("positive/generic/lib.rs",
      "pub fn client() -> Client {\n"
      "    let api_key: &str = \"%s\";\n    Client::new(api_key)\n}\n"
      % alnum(36))
    w("positive/generic/app.config",
      "<?xml version=\"1.0\"?>\n<configuration>\n  <appSettings>\n"
      "    <add key=\"PaymentApiKey\" value=\"%s\" />\n  </appSettings>\n"
      "</configuration>\n" % alnum(32))
    w("positive/generic/pom-settings.xml",
      "<settings>\n  <servers>\n    <server>\n      <id>nexus</id>\n"
      "      <username>deploy</username>\n      <password>%s</password>\n"
      "    </server>\n  </servers>\n</settings>\n" % password())
    w("positive/generic/analysis.ipynb", notebook([
        "import pandas as pd",
        "db_password = \"%s\"\nengine = make_engine(\"analyst\", db_password)"
        % password()]))
    w("positive/generic/ansible-vars.yml",
      "---\nmysql_root_password: %s\nnginx_workers: 4\n" % password())
    w("positive/generic/deploy-notes.md",
      "## Deploy\n\nThe admin console login is `admin`; use "
      "`--password %s` with the CLI.\n" % password())
    w("positive/generic/gradle.properties",
      "org.gradle.jvmargs=-Xmx2g\nsigning.password=%s\n"
      "ossrhPassword=%s\n" % (password(), password()))
    w("positive/generic/encryption.ex",
      "config :app, App.Vault,\n  encryption_key: \"%s\"\n" % b64(32))
    w("positive/generic/curl-api.sh",
      "curl -u deploy:%s https://ci.acme.dev/api/json\n" % password())


def kubernetes():
    key = base64.b64encode(pem_key("ec").encode()).decode()
    w("positive/kubernetes/kubeconfig",
      "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
      "    certificate-authority-data: %s\n    server: https://10.0.0.1:6443\n"
      "  name: prod\nusers:\n- name: admin\n  user:\n"
      "    client-certificate-data: %s\n    client-key-data: %s\n"
      % (b64(600), b64(600), key))
    w("positive/kubernetes/kubeconfig-token.yaml",
      "apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n"
      "    token: %s\n" % jwt("RS256", {"iss": "kubernetes/serviceaccount",
                                        "sub": "system:serviceaccount:ci:ci"}))
    w("positive/kubernetes/secret.yaml",
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\n"
      "data:\n  username: %s\n  password: %s\n"
      % (base64.b64encode(b"app").decode(),
         base64.b64encode(password().encode()).decode()))
    w("positive/kubernetes/stringdata.yaml",
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\n"
      "stringData:\n  API_KEY: %s\n" % alnum(32))
    w("positive/kubernetes/bootstrap-token.yaml",
      "apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\n"
      "bootstrapTokens:\n- token: \"%s.%s\"\n  ttl: \"24h\"\n"
      % (pick(string.ascii_lowercase + string.digits, 6),
         pick(string.ascii_lowercase + string.digits, 16)))


def variants():
    """Same categories, written differently from the files above."""
    w("positive/cloud/s3cfg",
      "[default]\naccess_key = %s\nsecret_key = %s\n"
      "host_base = s3.amazonaws.com\n" % (aws_id(), aws_secret()))
    w("positive/cloud/oci-config",
      "[DEFAULT]\nuser=ocid1.user.oc1..aaaa\nfingerprint=20:3b:97:13\n"
      "key_file=~/.oci/oci_api_key.pem\npass_phrase=%s\n" % password())
    w("positive/cloud/azure.tf",
      "provider \"azurerm\" {\n  features {}\n"
      "  client_id     = \"00000000-1111-2222-3333-444444444444\"\n"
      "  client_secret = \"%s\"\n}\n" % azure_client_secret())
    w("positive/generic/laravel.env",
      "APP_NAME=Laravel\nAPP_ENV=production\nAPP_KEY=base64:%s\n"
      "APP_DEBUG=false\n" % b64(32))
    w("positive/generic/secrets.yml",
      "production:\n  secret_key_base: %s\n" % hexs(128))
    w("positive/generic/db_pass.env",
      "DB_HOST=db\nDB_USER=app\nDB_PASS=%s\n" % password())
    w("positive/generic/mailer.js",
      "const transporter = nodemailer.createTransport({\n"
      "  host: 'smtp.gmail.com',\n"
      "  auth: { user: 'me@acme.dev', pass: '%s' },\n});\n" % password())
    w("positive/generic/Jenkins.groovy", "def token = \"%s\"\n" % hexs(34))
    w("positive/generic/mail.properties",
      "mail.smtp.password=%s\n" % password())
    w("positive/generic/creds.json",
      "{\"username\": \"svc\", \"password\": \"%s\"}\n" % password())
    w("positive/generic/server.toml",
      "[server]\nsecret = \"%s\"\n" % b64(32))
    w("positive/generic/api-call.sh",
      "curl -H \"X-API-Key: %s\" https://api.acme.dev\n" % alnum(32))
    w("positive/generic/compose-mysql.yml",
      "services:\n  db:\n    image: mysql:8\n    environment:\n"
      "      - MYSQL_ROOT_PASSWORD=%s\n" % password())
    w("positive/ai/deepseek_client.py",
      "client = OpenAI(base_url='https://api.deepseek.com', "
      "api_key='sk-%s')\n" % hexs(32))
    w("positive/ai/hf.env", "HUGGINGFACEHUB_API_TOKEN=%s\n" % hf())
    w("positive/ai/mistral.env", "MISTRAL_API_KEY=%s\n" % alnum(32))
    w("positive/ai/openai.ipynb", notebook([
        "import openai\nopenai.api_key = \"%s\"" % openai_legacy()]))
    w("positive/saas/stripe.go", "stripe.Key = \"sk_live_%s\"\n" % alnum(24))
    w("positive/saas/discord.env", "DISCORD_BOT_TOKEN=%s\n" % discord_bot())
    w("positive/saas/telegram.env", "TELEGRAM_TOKEN=%s\n" % telegram())
    w("positive/code-hosting/gh-actions.yml", "env:\n  GH_TOKEN: %s\n"
      % github())
    w("positive/code-hosting/settings.json",
      "{\n  \"githubToken\": \"%s\"\n}\n" % github())
    w("positive/code-hosting/gitlab.env",
      "GITLAB_TOKEN=glpat-%s\n" % pick(B64URL, 20))
    w("positive/code-hosting/netrc",
      "machine github.com login bot password %s\n" % github())
    w("positive/private-keys/wg-client.conf",
      "[Interface]\nPrivateKey=%s\nListenPort=51820\n" % wireguard_key())
    w("positive/private-keys/id_rsa", ssh_key("rsa")[0])
    w("positive/private-keys/secring.asc", pgp_armour("PRIVATE"))
    w("positive/private-keys/key.json",
      "{\"private_key\": \"%s\"}\n" % pem_key("ec").replace("\n", "\\n"))
    w("positive/connection-strings/mssql.py",
      "engine = create_engine(\"mssql+pyodbc://sa:%s@sqlserver:1433/db"
      "?driver=ODBC+Driver+18\")\n" % urlpass())
    w("positive/connection-strings/appsettings.json",
      "{\"ConnectionStrings\": {\"Db\": \"Server=tcp:acme.database.windows"
      ".net,1433;Initial Catalog=app;User ID=app;Password=%s;"
      "Encrypt=True;\"}}\n" % password())
    w("positive/connection-strings/deploy-ftp.sh",
      "lftp ftp://deploy:%s@ftp.acme.dev -e \"mirror -R dist /www\"\n"
      % urlpass())
    w("positive/jwt/token.txt", "token=%s\n" % jwt())
    w("positive/kubernetes/secret.json",
      "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":"
      "\"x\"},\"data\":{\"token\":\"%s\"}}\n" % b64(24))
    w("positive/kubernetes/kube-token.yaml",
      "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n"
      "    token: %s\n" % alnum(40))


def variants2():
    """Human-chosen passwords and less common places for credentials."""
    w("positive/generic/human.env", "DB_PASSWORD=Tr0ub4dor&3xyz\n")
    w("positive/generic/human.yml",
      "mysql:\n  password: \"Summer2024!Acme\"\n")
    w("positive/generic/wp-config.php",
      "<?php\ndefine( 'DB_PASSWORD', '%s' );\n" % password(12))
    w("positive/generic/django_mail.py",
      "EMAIL_HOST_PASSWORD = '%s %s %s %s'\n"
      % tuple(pick(string.ascii_lowercase, 4) for _ in range(4)))
    w("positive/generic/gmail_app.py",
      "smtp.login('me@gmail.com', '%s')\n" % pick(string.ascii_lowercase, 16))
    w("positive/generic/redis.conf",
      "bind 127.0.0.1\nrequirepass %s\n" % hexs(20))
    w("positive/generic/pgbouncer.ini",
      "[databases]\napp = host=db port=5432 dbname=app user=app password=%s\n"
      % password())
    w("positive/generic/keystore.properties",
      "storePassword=%s\nkeyPassword=%s\nkeyAlias=upload\n"
      % (password(), password()))
    w("positive/generic/application-default.yaml",
      "spring:\n  mail:\n    password: ${MAIL_PASSWORD:%s}\n" % password())
    w("positive/generic/secrets.tfvars",
      "db_password = \"%s\"\napi_token   = \"%s\"\n"
      % (password(), alnum(40)))
    w("positive/generic/rabbitmq.conf", "default_pass = %s\n" % password())
    w("positive/generic/ldap.conf",
      "BINDDN cn=admin,dc=acme,dc=dev\nBINDPW %s\n" % password())
    w("positive/cloud/application_default_credentials.json",
      "{\"client_id\": \"%s.apps.googleusercontent.com\", \"client_secret\":"
      " \"%s\", \"refresh_token\": \"1//0%s\", \"type\": "
      "\"authorized_user\"}\n" % (digits(12), pick(B64URL, 24),
                                  pick(B64URL, 90)))
    w("positive/cloud/aws-config.json",
      "{\"accessKeyId\": \"%s\", \"secretAccessKey\": \"%s\", "
      "\"region\": \"us-east-1\"}\n" % (aws_id(), aws_secret()))
    w("positive/cloud/boto.cfg",
      "[Credentials]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
      % (aws_id(), aws_secret()))
    w("positive/cloud/azure-sp.json",
      "{\"appId\": \"%s\", \"displayName\": \"ci\", \"password\": \"%s\", "
      "\"tenant\": \"%s\"}\n" % (uuid.UUID(int=R.getrandbits(128)),
                                 azure_client_secret(),
                                 uuid.UUID(int=R.getrandbits(128))))
    w("positive/cloud/doctl.sh",
      "doctl auth init --access-token dop_v1_%s\n" % hexs(64))
    w("positive/ai/claude.sh",
      "curl https://api.anthropic.com/v1/messages -H \"x-api-key: %s\"\n"
      % anthropic())
    w("positive/ai/gemini.env", "GEMINI_API_KEY=%s\n" % gcp_api_key())
    w("positive/ai/openai-key.yaml", "openai:\n  key: %s\n" % openai_proj())
    w("positive/ai/cohere_v2.py",
      "co = cohere.ClientV2(\"%s\")\n" % alnum(40))
    w("positive/ai/azure-openai.env", "AZURE_OPENAI_KEY=%s\n" % hexs(32))
    w("positive/saas/slack-app.json",
      "{\"bot_token\": \"%s\", \"signing_secret\": \"%s\"}\n"
      % (slack_bot(), hexs(32)))
    w("positive/saas/sendgrid.env", "SENDGRID_API_KEY=%s\n" % sendgrid())
    w("positive/saas/stripe.php",
      "\\Stripe\\Stripe::setApiKey('sk_live_%s');\n" % alnum(24))
    w("positive/kubernetes/sa-token-secret.yaml",
      "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token"
      "\nmetadata:\n  name: ci\ndata:\n  token: %s\n" % b64(200))
    w("positive/kubernetes/tls-secret.yaml",
      "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata:\n"
      "  name: web\ndata:\n  tls.crt: %s\n  tls.key: %s\n"
      % (b64(600), base64.b64encode(pem_key("ec").encode()).decode()))
    w("positive/private-keys/pasted.txt",
      "Here is the key:\n" + pem_key("rsa"))
    w("positive/private-keys/ssh-in-yaml.yml",
      "deploy:\n  ssh_key: |\n" + "".join(
          "    " + l + "\n" for l in ssh_key("ed25519")[0].strip().split("\n")))


def positives():
    cloud()
    code_hosting()
    saas()
    ai()
    private_keys()
    connection_strings()
    jwts()
    generic()
    kubernetes()
    variants()
    variants2()
