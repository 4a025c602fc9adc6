export function LoginForm() {
  const [password, setPassword] = useState('');
  return <input type="password" placeholder="Enter your password" value={password} onChange={e => setPassword(e.target.value)} />;
}
