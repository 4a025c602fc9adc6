object Settings {
    val apiToken: String = "cl1GJD2bH47Drxq6U12E8KxdolkxcSbqpWqPeUaz"
}
