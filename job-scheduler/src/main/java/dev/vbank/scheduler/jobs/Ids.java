package dev.vbank.scheduler.jobs;

import java.security.SecureRandom;

public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private Ids() {
    }

    /** {@code prefix-} followed by 24 base62 characters (~143 random bits). */
    public static String random(String prefix) {
        char[] out = new char[24];
        for (int i = 0; i < out.length; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return prefix + "-" + new String(out);
    }

    public static String job() {
        return random("ftjob");
    }

    public static String event() {
        return random("ftevent");
    }
}
