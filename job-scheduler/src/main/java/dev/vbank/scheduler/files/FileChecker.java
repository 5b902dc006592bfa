package dev.vbank.scheduler.files;

/** Asks where a tenant's uploaded file stands. */
public interface FileChecker {

    enum State { READY, PENDING, INVALID }

    record Result(State state, String reason) {
        public static Result ready() {
            return new Result(State.READY, null);
        }

        public static Result pending(String reason) {
            return new Result(State.PENDING, reason);
        }

        public static Result invalid(String reason) {
            return new Result(State.INVALID, reason);
        }
    }

    /** @throws java.io.IOException when the answer is unknown (service down): the caller tries again later */
    Result check(String tenant, String fileId) throws java.io.IOException;
}
