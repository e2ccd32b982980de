from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from notifications.models import EmailMode, Notification
from notifications.services import email_mode_for, notification_mark_read, preference_set
from tenants.api.mixins import ObjectFirstMixin


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "created_at", "read_at"]


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class PreferenceSerializer(serializers.Serializer):
    email_mode = serializers.ChoiceField(choices=EmailMode.choices)


class NotificationViewSet(ObjectFirstMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in person's own notifications."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    queryset = Notification.objects.none()

    def get_queryset(self):
        return Notification.objects.for_user(self.request.user)

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        note = self.get_object()
        return Response({"marked": notification_mark_read(user=request.user, notification_id=note.pk)})

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": notification_mark_read(user=request.user)})

    @extend_schema(methods=["GET"], request=None, responses=PreferenceSerializer)
    @extend_schema(methods=["PUT"], request=PreferenceSerializer, responses=PreferenceSerializer)
    @action(detail=False, methods=["get", "put"], pagination_class=None)
    def preferences(self, request):
        """How the signed-in person is emailed about their notifications (as on the notifications page)."""
        if request.method == "PUT":
            data = PreferenceSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            preference_set(user=request.user, email_mode=data.validated_data["email_mode"])
        return Response({"email_mode": email_mode_for(request.user)})
