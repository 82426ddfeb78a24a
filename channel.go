package gyre

// ChannelOptions are the options of a namespace (or of channels without a
// namespace), with Centrifugo v6 key names. The zero value allows nothing
// client-side except token-based subscriptions.
type ChannelOptions struct {
	// Presence keeps a presence set for the channel.
	Presence bool `json:"presence"`
	// JoinLeave publishes join and leave events.
	JoinLeave bool `json:"join_leave"`
	// ForcePushJoinLeave pushes join and leave events to every subscriber.
	ForcePushJoinLeave bool `json:"force_push_join_leave"`
	// HistorySize and HistoryTTL keep a publication stream; both or neither.
	HistorySize int      `json:"history_size"`
	HistoryTTL  Duration `json:"history_ttl"`
	// HistoryMetaTTL overrides channel.history_meta_ttl for this namespace.
	HistoryMetaTTL Duration `json:"history_meta_ttl"`
	// ForcePositioning and AllowPositioning: positioning for everyone, or
	// for clients that ask.
	ForcePositioning bool `json:"force_positioning"`
	AllowPositioning bool `json:"allow_positioning"`
	// ForceRecovery and AllowRecovery: recovery for everyone, or for
	// clients that ask.
	ForceRecovery bool `json:"force_recovery"`
	AllowRecovery bool `json:"allow_recovery"`
	// ForceRecoveryMode is "" or "stream" (default) or "cache".
	ForceRecoveryMode string `json:"force_recovery_mode"`

	AllowSubscribeForClient    bool `json:"allow_subscribe_for_client"`
	AllowSubscribeForAnonymous bool `json:"allow_subscribe_for_anonymous"`
	AllowPublishForClient      bool `json:"allow_publish_for_client"`
	AllowPublishForSubscriber  bool `json:"allow_publish_for_subscriber"`
	AllowPublishForAnonymous   bool `json:"allow_publish_for_anonymous"`
	AllowPresenceForClient     bool `json:"allow_presence_for_client"`
	AllowPresenceForSubscriber bool `json:"allow_presence_for_subscriber"`
	AllowPresenceForAnonymous  bool `json:"allow_presence_for_anonymous"`
	AllowHistoryForClient      bool `json:"allow_history_for_client"`
	AllowHistoryForSubscriber  bool `json:"allow_history_for_subscriber"`
	AllowHistoryForAnonymous   bool `json:"allow_history_for_anonymous"`
	// AllowUserLimitedChannels lets "ns:chat#42,43" be subscribed by the
	// listed users only.
	AllowUserLimitedChannels bool `json:"allow_user_limited_channels"`
	// ChannelRegex, when set, must match the part of the name after the
	// namespace; names must otherwise be ASCII.
	ChannelRegex string `json:"channel_regex"`
	// PublicationDataFormat is "" (non-empty data), "json", "json_object"
	// or "binary"; empty means channel.publication_data_format.
	PublicationDataFormat string `json:"publication_data_format"`

	// SubscribeProxyEnabled sends subscribe requests to the application
	// through the proxy named SubscribeProxyName ("" or "default" means
	// channel.proxy.subscribe; other names refer to the top-level proxies list).
	SubscribeProxyEnabled bool   `json:"subscribe_proxy_enabled"`
	SubscribeProxyName    string `json:"subscribe_proxy_name"`
	// PublishProxyEnabled sends client publications through a proxy.
	PublishProxyEnabled bool   `json:"publish_proxy_enabled"`
	PublishProxyName    string `json:"publish_proxy_name"`
	// SubRefreshProxyEnabled extends expiring subscriptions through a proxy.
	SubRefreshProxyEnabled bool   `json:"sub_refresh_proxy_enabled"`
	SubRefreshProxyName    string `json:"sub_refresh_proxy_name"`
}

// HistoryEnabled reports whether the options keep a publication stream.
func (o ChannelOptions) HistoryEnabled() bool {
	return o.HistorySize > 0 && o.HistoryTTL > 0
}
