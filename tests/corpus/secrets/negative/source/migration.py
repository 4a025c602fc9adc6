migrations.AddField(model_name='user', name='password_reset_token', field=models.CharField(max_length=64, null=True))
