var options = new ClientOptions {
    ClientSecret = "tD*cHaTc#DPWZFMDWO1!diVCaWBe",
    Scope = "api"
};
