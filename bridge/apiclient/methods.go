// Code generated from bridge/apipb/api_grpc.pb.go by a one-off script; one method per CentrifugoApi RPC.

package apiclient

import (
	"context"

	"github.com/gyrehq/gyre/bridge/apipb"
)

// Publish calls the publish API method.
func (c *Client) Publish(ctx context.Context, req *apipb.PublishRequest) (*apipb.PublishResult, error) {
	return invoke(ctx, c, "publish", req, func() *apipb.PublishResponse { return &apipb.PublishResponse{} }, apipb.CentrifugoApiClient.Publish)
}

// Broadcast calls the broadcast API method.
func (c *Client) Broadcast(ctx context.Context, req *apipb.BroadcastRequest) (*apipb.BroadcastResult, error) {
	return invoke(ctx, c, "broadcast", req, func() *apipb.BroadcastResponse { return &apipb.BroadcastResponse{} }, apipb.CentrifugoApiClient.Broadcast)
}

// Subscribe calls the subscribe API method.
func (c *Client) Subscribe(ctx context.Context, req *apipb.SubscribeRequest) (*apipb.SubscribeResult, error) {
	return invoke(ctx, c, "subscribe", req, func() *apipb.SubscribeResponse { return &apipb.SubscribeResponse{} }, apipb.CentrifugoApiClient.Subscribe)
}

// Unsubscribe calls the unsubscribe API method.
func (c *Client) Unsubscribe(ctx context.Context, req *apipb.UnsubscribeRequest) (*apipb.UnsubscribeResult, error) {
	return invoke(ctx, c, "unsubscribe", req, func() *apipb.UnsubscribeResponse { return &apipb.UnsubscribeResponse{} }, apipb.CentrifugoApiClient.Unsubscribe)
}

// Disconnect calls the disconnect API method.
func (c *Client) Disconnect(ctx context.Context, req *apipb.DisconnectRequest) (*apipb.DisconnectResult, error) {
	return invoke(ctx, c, "disconnect", req, func() *apipb.DisconnectResponse { return &apipb.DisconnectResponse{} }, apipb.CentrifugoApiClient.Disconnect)
}

// Presence calls the presence API method.
func (c *Client) Presence(ctx context.Context, req *apipb.PresenceRequest) (*apipb.PresenceResult, error) {
	return invoke(ctx, c, "presence", req, func() *apipb.PresenceResponse { return &apipb.PresenceResponse{} }, apipb.CentrifugoApiClient.Presence)
}

// PresenceStats calls the presence_stats API method.
func (c *Client) PresenceStats(ctx context.Context, req *apipb.PresenceStatsRequest) (*apipb.PresenceStatsResult, error) {
	return invoke(ctx, c, "presence_stats", req, func() *apipb.PresenceStatsResponse { return &apipb.PresenceStatsResponse{} }, apipb.CentrifugoApiClient.PresenceStats)
}

// History calls the history API method.
func (c *Client) History(ctx context.Context, req *apipb.HistoryRequest) (*apipb.HistoryResult, error) {
	return invoke(ctx, c, "history", req, func() *apipb.HistoryResponse { return &apipb.HistoryResponse{} }, apipb.CentrifugoApiClient.History)
}

// HistoryRemove calls the history_remove API method.
func (c *Client) HistoryRemove(ctx context.Context, req *apipb.HistoryRemoveRequest) (*apipb.HistoryRemoveResult, error) {
	return invoke(ctx, c, "history_remove", req, func() *apipb.HistoryRemoveResponse { return &apipb.HistoryRemoveResponse{} }, apipb.CentrifugoApiClient.HistoryRemove)
}

// Info calls the info API method.
func (c *Client) Info(ctx context.Context, req *apipb.InfoRequest) (*apipb.InfoResult, error) {
	return invoke(ctx, c, "info", req, func() *apipb.InfoResponse { return &apipb.InfoResponse{} }, apipb.CentrifugoApiClient.Info)
}

// RPC calls the rpc API method.
func (c *Client) RPC(ctx context.Context, req *apipb.RPCRequest) (*apipb.RPCResult, error) {
	return invoke(ctx, c, "rpc", req, func() *apipb.RPCResponse { return &apipb.RPCResponse{} }, apipb.CentrifugoApiClient.RPC)
}

// Refresh calls the refresh API method.
func (c *Client) Refresh(ctx context.Context, req *apipb.RefreshRequest) (*apipb.RefreshResult, error) {
	return invoke(ctx, c, "refresh", req, func() *apipb.RefreshResponse { return &apipb.RefreshResponse{} }, apipb.CentrifugoApiClient.Refresh)
}

// Channels calls the channels API method.
func (c *Client) Channels(ctx context.Context, req *apipb.ChannelsRequest) (*apipb.ChannelsResult, error) {
	return invoke(ctx, c, "channels", req, func() *apipb.ChannelsResponse { return &apipb.ChannelsResponse{} }, apipb.CentrifugoApiClient.Channels)
}

// Connections calls the connections API method.
func (c *Client) Connections(ctx context.Context, req *apipb.ConnectionsRequest) (*apipb.ConnectionsResult, error) {
	return invoke(ctx, c, "connections", req, func() *apipb.ConnectionsResponse { return &apipb.ConnectionsResponse{} }, apipb.CentrifugoApiClient.Connections)
}

// UpdateUserStatus calls the update_user_status API method.
func (c *Client) UpdateUserStatus(ctx context.Context, req *apipb.UpdateUserStatusRequest) (*apipb.UpdateUserStatusResult, error) {
	return invoke(ctx, c, "update_user_status", req, func() *apipb.UpdateUserStatusResponse { return &apipb.UpdateUserStatusResponse{} }, apipb.CentrifugoApiClient.UpdateUserStatus)
}

// GetUserStatus calls the get_user_status API method.
func (c *Client) GetUserStatus(ctx context.Context, req *apipb.GetUserStatusRequest) (*apipb.GetUserStatusResult, error) {
	return invoke(ctx, c, "get_user_status", req, func() *apipb.GetUserStatusResponse { return &apipb.GetUserStatusResponse{} }, apipb.CentrifugoApiClient.GetUserStatus)
}

// DeleteUserStatus calls the delete_user_status API method.
func (c *Client) DeleteUserStatus(ctx context.Context, req *apipb.DeleteUserStatusRequest) (*apipb.DeleteUserStatusResult, error) {
	return invoke(ctx, c, "delete_user_status", req, func() *apipb.DeleteUserStatusResponse { return &apipb.DeleteUserStatusResponse{} }, apipb.CentrifugoApiClient.DeleteUserStatus)
}

// BlockUser calls the block_user API method.
func (c *Client) BlockUser(ctx context.Context, req *apipb.BlockUserRequest) (*apipb.BlockUserResult, error) {
	return invoke(ctx, c, "block_user", req, func() *apipb.BlockUserResponse { return &apipb.BlockUserResponse{} }, apipb.CentrifugoApiClient.BlockUser)
}

// UnblockUser calls the unblock_user API method.
func (c *Client) UnblockUser(ctx context.Context, req *apipb.UnblockUserRequest) (*apipb.UnblockUserResult, error) {
	return invoke(ctx, c, "unblock_user", req, func() *apipb.UnblockUserResponse { return &apipb.UnblockUserResponse{} }, apipb.CentrifugoApiClient.UnblockUser)
}

// RevokeToken calls the revoke_token API method.
func (c *Client) RevokeToken(ctx context.Context, req *apipb.RevokeTokenRequest) (*apipb.RevokeTokenResult, error) {
	return invoke(ctx, c, "revoke_token", req, func() *apipb.RevokeTokenResponse { return &apipb.RevokeTokenResponse{} }, apipb.CentrifugoApiClient.RevokeToken)
}

// InvalidateUserTokens calls the invalidate_user_tokens API method.
func (c *Client) InvalidateUserTokens(ctx context.Context, req *apipb.InvalidateUserTokensRequest) (*apipb.InvalidateUserTokensResult, error) {
	return invoke(ctx, c, "invalidate_user_tokens", req, func() *apipb.InvalidateUserTokensResponse { return &apipb.InvalidateUserTokensResponse{} }, apipb.CentrifugoApiClient.InvalidateUserTokens)
}

// DeviceRegister calls the device_register API method.
func (c *Client) DeviceRegister(ctx context.Context, req *apipb.DeviceRegisterRequest) (*apipb.DeviceRegisterResult, error) {
	return invoke(ctx, c, "device_register", req, func() *apipb.DeviceRegisterResponse { return &apipb.DeviceRegisterResponse{} }, apipb.CentrifugoApiClient.DeviceRegister)
}

// DeviceUpdate calls the device_update API method.
func (c *Client) DeviceUpdate(ctx context.Context, req *apipb.DeviceUpdateRequest) (*apipb.DeviceUpdateResult, error) {
	return invoke(ctx, c, "device_update", req, func() *apipb.DeviceUpdateResponse { return &apipb.DeviceUpdateResponse{} }, apipb.CentrifugoApiClient.DeviceUpdate)
}

// DeviceRemove calls the device_remove API method.
func (c *Client) DeviceRemove(ctx context.Context, req *apipb.DeviceRemoveRequest) (*apipb.DeviceRemoveResult, error) {
	return invoke(ctx, c, "device_remove", req, func() *apipb.DeviceRemoveResponse { return &apipb.DeviceRemoveResponse{} }, apipb.CentrifugoApiClient.DeviceRemove)
}

// DeviceList calls the device_list API method.
func (c *Client) DeviceList(ctx context.Context, req *apipb.DeviceListRequest) (*apipb.DeviceListResult, error) {
	return invoke(ctx, c, "device_list", req, func() *apipb.DeviceListResponse { return &apipb.DeviceListResponse{} }, apipb.CentrifugoApiClient.DeviceList)
}

// DeviceTopicList calls the device_topic_list API method.
func (c *Client) DeviceTopicList(ctx context.Context, req *apipb.DeviceTopicListRequest) (*apipb.DeviceTopicListResult, error) {
	return invoke(ctx, c, "device_topic_list", req, func() *apipb.DeviceTopicListResponse { return &apipb.DeviceTopicListResponse{} }, apipb.CentrifugoApiClient.DeviceTopicList)
}

// DeviceTopicUpdate calls the device_topic_update API method.
func (c *Client) DeviceTopicUpdate(ctx context.Context, req *apipb.DeviceTopicUpdateRequest) (*apipb.DeviceTopicUpdateResult, error) {
	return invoke(ctx, c, "device_topic_update", req, func() *apipb.DeviceTopicUpdateResponse { return &apipb.DeviceTopicUpdateResponse{} }, apipb.CentrifugoApiClient.DeviceTopicUpdate)
}

// UserTopicList calls the user_topic_list API method.
func (c *Client) UserTopicList(ctx context.Context, req *apipb.UserTopicListRequest) (*apipb.UserTopicListResult, error) {
	return invoke(ctx, c, "user_topic_list", req, func() *apipb.UserTopicListResponse { return &apipb.UserTopicListResponse{} }, apipb.CentrifugoApiClient.UserTopicList)
}

// UserTopicUpdate calls the user_topic_update API method.
func (c *Client) UserTopicUpdate(ctx context.Context, req *apipb.UserTopicUpdateRequest) (*apipb.UserTopicUpdateResult, error) {
	return invoke(ctx, c, "user_topic_update", req, func() *apipb.UserTopicUpdateResponse { return &apipb.UserTopicUpdateResponse{} }, apipb.CentrifugoApiClient.UserTopicUpdate)
}

// SendPushNotification calls the send_push_notification API method.
func (c *Client) SendPushNotification(ctx context.Context, req *apipb.SendPushNotificationRequest) (*apipb.SendPushNotificationResult, error) {
	return invoke(ctx, c, "send_push_notification", req, func() *apipb.SendPushNotificationResponse { return &apipb.SendPushNotificationResponse{} }, apipb.CentrifugoApiClient.SendPushNotification)
}

// UpdatePushStatus calls the update_push_status API method.
func (c *Client) UpdatePushStatus(ctx context.Context, req *apipb.UpdatePushStatusRequest) (*apipb.UpdatePushStatusResult, error) {
	return invoke(ctx, c, "update_push_status", req, func() *apipb.UpdatePushStatusResponse { return &apipb.UpdatePushStatusResponse{} }, apipb.CentrifugoApiClient.UpdatePushStatus)
}

// CancelPush calls the cancel_push API method.
func (c *Client) CancelPush(ctx context.Context, req *apipb.CancelPushRequest) (*apipb.CancelPushResult, error) {
	return invoke(ctx, c, "cancel_push", req, func() *apipb.CancelPushResponse { return &apipb.CancelPushResponse{} }, apipb.CentrifugoApiClient.CancelPush)
}
