CREATE TABLE `assistant_usage` (
	`assistant_usage_id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`member_id` bigint unsigned NOT NULL,
	`retrospect_id` bigint unsigned NOT NULL,
	`question_id` int NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `assistant_usage_assistant_usage_id` PRIMARY KEY(`assistant_usage_id`)
);
--> statement-breakpoint
CREATE TABLE `member_response` (
	`member_response_id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`member_id` bigint unsigned,
	`response_id` bigint unsigned NOT NULL,
	CONSTRAINT `member_response_member_response_id` PRIMARY KEY(`member_response_id`)
);
--> statement-breakpoint
CREATE TABLE `member_retro_room` (
	`member_retrospect_room_id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`member_id` bigint unsigned,
	`retrospect_room_id` bigint unsigned NOT NULL,
	`role` enum('OWNER','MEMBER') NOT NULL,
	`order_index` int NOT NULL DEFAULT 1,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `member_retro_room_member_retrospect_room_id` PRIMARY KEY(`member_retrospect_room_id`),
	CONSTRAINT `member_retro_room_member_room_uq` UNIQUE(`member_id`,`retrospect_room_id`)
);
--> statement-breakpoint
CREATE TABLE `member_retro` (
	`member_retro_id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`member_id` bigint unsigned,
	`retrospect_id` bigint unsigned NOT NULL,
	`status` enum('DRAFT','SUBMITTED','ANALYZED') NOT NULL DEFAULT 'DRAFT',
	`personal_insight` text,
	`submitted_at` datetime(3),
	CONSTRAINT `member_retro_member_retro_id` PRIMARY KEY(`member_retro_id`),
	CONSTRAINT `member_retro_member_retrospect_uq` UNIQUE(`member_id`,`retrospect_id`)
);
--> statement-breakpoint
CREATE TABLE `member_subscription` (
	`subscription_id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`member_id` bigint unsigned NOT NULL,
	`plan_name` enum('FREE','PRO','TEAM') NOT NULL,
	`status` enum('ACTIVE','CANCELLED','EXPIRED','PENDING') NOT NULL,
	`fluxpay_order_id` varchar(255),
	`fluxpay_payment_id` varchar(255),
	`started_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`expires_at` datetime(3),
	`cancelled_at` datetime(3),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `member_subscription_subscription_id` PRIMARY KEY(`subscription_id`)
);
--> statement-breakpoint
CREATE TABLE `member` (
	`member_id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`email` varchar(255) NOT NULL,
	`nickname` varchar(20),
	`insight_count` int NOT NULL DEFAULT 0,
	`social_type` enum('KAKAO','GOOGLE') NOT NULL DEFAULT 'KAKAO',
	`refresh_token` varchar(500),
	`refresh_token_expires_at` datetime(3),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `member_member_id` PRIMARY KEY(`member_id`),
	CONSTRAINT `member_nickname_uq` UNIQUE(`nickname`)
);
--> statement-breakpoint
CREATE TABLE `processed_event` (
	`event_id` varchar(64) NOT NULL,
	`event_type` varchar(100) NOT NULL,
	`processed_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `processed_event_event_id` PRIMARY KEY(`event_id`)
);
--> statement-breakpoint
CREATE TABLE `response_comment` (
	`response_comment_id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`content` varchar(200) NOT NULL,
	`response_id` bigint unsigned NOT NULL,
	`member_id` bigint unsigned NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `response_comment_response_comment_id` PRIMARY KEY(`response_comment_id`)
);
--> statement-breakpoint
CREATE TABLE `response_like` (
	`response_like_id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`member_id` bigint unsigned NOT NULL,
	`response_id` bigint unsigned NOT NULL,
	CONSTRAINT `response_like_response_like_id` PRIMARY KEY(`response_like_id`),
	CONSTRAINT `response_like_member_response_uq` UNIQUE(`member_id`,`response_id`)
);
--> statement-breakpoint
CREATE TABLE `response` (
	`response_id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`question` text NOT NULL,
	`response` text NOT NULL,
	`retrospect_id` bigint unsigned NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `response_response_id` PRIMARY KEY(`response_id`)
);
--> statement-breakpoint
CREATE TABLE `retro_reference` (
	`retro_reference_id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`title` varchar(255) NOT NULL,
	`url` varchar(2048) NOT NULL,
	`retrospect_id` bigint unsigned NOT NULL,
	CONSTRAINT `retro_reference_retro_reference_id` PRIMARY KEY(`retro_reference_id`)
);
--> statement-breakpoint
CREATE TABLE `retro_room` (
	`retrospect_room_id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`title` varchar(20) NOT NULL,
	`description` varchar(50),
	`invition_url` varchar(255) NOT NULL,
	`invite_code_created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `retro_room_retrospect_room_id` PRIMARY KEY(`retrospect_room_id`),
	CONSTRAINT `retro_room_title_uq` UNIQUE(`title`)
);
--> statement-breakpoint
CREATE TABLE `retrospects` (
	`retrospect_id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`title` varchar(20) NOT NULL,
	`insight` text,
	`retrospect_method` enum('KPT','FOUR_L','FIVE_F','PMI','FREE') NOT NULL,
	`start_time` datetime(3) NOT NULL,
	`retrospect_room_id` bigint unsigned NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `retrospects_retrospect_id` PRIMARY KEY(`retrospect_id`)
);
--> statement-breakpoint
CREATE TABLE `subscription_request` (
	`subscription_request_id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`member_id` bigint unsigned NOT NULL,
	`idempotency_key` varchar(255) NOT NULL,
	`request_hash` char(64) NOT NULL,
	`status` enum('PROCESSING','COMPLETED') NOT NULL,
	`response_status` int,
	`response_body` json,
	`lease_expires_at` datetime(3) NOT NULL,
	`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updated_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `subscription_request_subscription_request_id` PRIMARY KEY(`subscription_request_id`),
	CONSTRAINT `subscription_request_member_key_uq` UNIQUE(`member_id`,`idempotency_key`)
);
--> statement-breakpoint
ALTER TABLE `member_response` ADD CONSTRAINT `member_response_member_fk` FOREIGN KEY (`member_id`) REFERENCES `member`(`member_id`) ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `member_response` ADD CONSTRAINT `member_response_response_fk` FOREIGN KEY (`response_id`) REFERENCES `response`(`response_id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `member_retro_room` ADD CONSTRAINT `member_retro_room_member_fk` FOREIGN KEY (`member_id`) REFERENCES `member`(`member_id`) ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `member_retro_room` ADD CONSTRAINT `member_retro_room_room_fk` FOREIGN KEY (`retrospect_room_id`) REFERENCES `retro_room`(`retrospect_room_id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `member_retro` ADD CONSTRAINT `member_retro_member_fk` FOREIGN KEY (`member_id`) REFERENCES `member`(`member_id`) ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `member_retro` ADD CONSTRAINT `member_retro_retrospect_fk` FOREIGN KEY (`retrospect_id`) REFERENCES `retrospects`(`retrospect_id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `member_subscription` ADD CONSTRAINT `member_subscription_member_fk` FOREIGN KEY (`member_id`) REFERENCES `member`(`member_id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `response_comment` ADD CONSTRAINT `response_comment_response_fk` FOREIGN KEY (`response_id`) REFERENCES `response`(`response_id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `response_like` ADD CONSTRAINT `response_like_response_fk` FOREIGN KEY (`response_id`) REFERENCES `response`(`response_id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `response` ADD CONSTRAINT `response_retrospect_fk` FOREIGN KEY (`retrospect_id`) REFERENCES `retrospects`(`retrospect_id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `retro_reference` ADD CONSTRAINT `retro_reference_retrospect_fk` FOREIGN KEY (`retrospect_id`) REFERENCES `retrospects`(`retrospect_id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `retrospects` ADD CONSTRAINT `retrospects_room_fk` FOREIGN KEY (`retrospect_room_id`) REFERENCES `retro_room`(`retrospect_room_id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `assistant_usage_member_created_idx` ON `assistant_usage` (`member_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `member_response_member_idx` ON `member_response` (`member_id`);--> statement-breakpoint
CREATE INDEX `member_response_response_idx` ON `member_response` (`response_id`);--> statement-breakpoint
CREATE INDEX `member_retro_room_member_order_idx` ON `member_retro_room` (`member_id`,`order_index`);--> statement-breakpoint
CREATE INDEX `member_retro_room_room_idx` ON `member_retro_room` (`retrospect_room_id`);--> statement-breakpoint
CREATE INDEX `member_retro_retrospect_idx` ON `member_retro` (`retrospect_id`);--> statement-breakpoint
CREATE INDEX `member_subscription_member_status_idx` ON `member_subscription` (`member_id`,`status`);--> statement-breakpoint
CREATE INDEX `member_subscription_fluxpay_order_idx` ON `member_subscription` (`fluxpay_order_id`);--> statement-breakpoint
CREATE INDEX `member_email_social_type_idx` ON `member` (`email`,`social_type`);--> statement-breakpoint
CREATE INDEX `response_comment_response_idx` ON `response_comment` (`response_id`,`response_comment_id`);--> statement-breakpoint
CREATE INDEX `response_like_response_idx` ON `response_like` (`response_id`);--> statement-breakpoint
CREATE INDEX `response_retrospect_idx` ON `response` (`retrospect_id`);--> statement-breakpoint
CREATE INDEX `retro_reference_retrospect_idx` ON `retro_reference` (`retrospect_id`);--> statement-breakpoint
CREATE INDEX `retro_room_invition_url_idx` ON `retro_room` (`invition_url`);--> statement-breakpoint
CREATE INDEX `retrospects_room_idx` ON `retrospects` (`retrospect_room_id`);