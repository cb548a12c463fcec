import CPlatform

/// Interest and readiness bits of `Reactor.register` / `modify` and of
/// `ReactorHandler.reactorEvents` (the values of <sys/epoll.h>).
public enum Epoll {
    /// Readable (or a peer's orderly shutdown, a listening socket's pending connection).
    public static let input: UInt32 = cplatform_epoll_in
    /// Writable.
    public static let output: UInt32 = cplatform_epoll_out
    /// The peer shut down its writing side (a half-close).
    public static let readHangUp: UInt32 = cplatform_epoll_rdhup
    /// Hung up; always reported, needs no interest.
    public static let hangUp: UInt32 = cplatform_epoll_hup
    /// An error condition; always reported, needs no interest.
    public static let error: UInt32 = cplatform_epoll_err
    /// Edge-triggered: reported once per change, not while the condition lasts.
    public static let edgeTriggered: UInt32 = cplatform_epoll_et
    /// With one descriptor in several epoll sets (a listening socket shared by loops), wake one.
    public static let exclusive: UInt32 = cplatform_epoll_exclusive
}
