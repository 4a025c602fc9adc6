public final class Config {
    private static final String DB_PASSWORD = "ZRMJ=Eceh_MJ0gUN1^07u";
    private static final int POOL = 8;
}
