smtp.login('me@gmail.com', 'vahhwzrkqlspkiyc')
