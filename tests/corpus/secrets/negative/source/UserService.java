public class UserService {
    private final PasswordEncoder passwordEncoder;
    private static final String TOKEN_HEADER = "Authorization";
    private static final String SECRET_NAME = "app-secrets";
    public String resetPassword(String token) {
        return tokenService.verify(token);
    }
}
